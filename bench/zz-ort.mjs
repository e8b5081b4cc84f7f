import ort from 'onnxruntime-node';
const create = ort.InferenceSession.create.bind(ort.InferenceSession);
ort.InferenceSession.create = (source, options) => {
  const threads = process.env.EXP_THREADS ? Number(process.env.EXP_THREADS) : options?.intraOpNumThreads;
  return create(source, { ...options, intraOpNumThreads: threads, extra: { session: { intra_op: { allow_spinning: process.env.EXP_SPIN ?? '1' } } } });
};
