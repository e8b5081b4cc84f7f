"""PyTorch reference: how far can nsfwjs's pretrained MobileNetV2 go on BCCD when fine-tuned the standard way?

    npx tsx bench/mobilenetv2_export.ts /tmp/mnv2 128,224        # weights, images, reference activations
    /usr/bin/python3 bench/mobilenetv2_finetune.py check /tmp/mnv2 128
    /usr/bin/python3 bench/mobilenetv2_finetune.py train /tmp/mnv2 '{"fold": 0, "size": 224}'

Debian's python3-torch (1.13) only; nothing is downloaded. The network is Keras's MobileNetV2 (alpha 1)
rebuilt with Keras's semantics (asymmetric zero padding before stride-2 windows, batch-norm epsilon
1e-3) so that the weights gramlens reads from the nsfwjs npm package load unchanged. `check` compares
its activations on one image with those gramlens's TF.js model wrote (block_13_project_BN and the
pooled Conv_1 features; max absolute difference printed). `train` fine-tunes it on one manifest
exported by mobilenetv2_export.ts (rows with split "train" train, rows with split "test" score; use
the inner-validation manifests of bench/bccd_inner_manifests.py, never a test fold, to choose a
recipe), and prints one JSON line with the macro-F1 (plain and averaged over the 8 dihedral views),
the seconds, and the options. Options (JSON, defaults in DEFAULTS): blocks 1-17 kept (17: Conv_1's
1280 features; fewer: a new 1x1 convolution of 512 channels), epochs, head_epochs (trunk frozen),
lr, trunk_lr_ratio (trunk rate = lr / ratio), weight_decay, batch, bn ("train" or "frozen": the
trunk's batch norms in eval mode), label_smoothing, seed, threads, report_every (N > 0: the held-out macro-F1
every N epochs on stderr, to watch a run, not to choose), carrier ("keras": the Keras MobileNetV2
gramlens uses; "mid": nsfwjs's other MobileNetV2, TF-Hub's 1.4-wide one with batch norm folded, exported
as mid_weights by mobilenetv2_export.ts; `nsfw_check` runs it with nsfwjs's own 5-class head on a few images
as a sanity check of the port: there is no TF.js reference for that graph model here).
"""
import json
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

DEFAULTS = {
    "fold": 0, "size": 224, "blocks": 17, "epochs": 30, "head_epochs": 1, "lr": 1e-3, "trunk_lr_ratio": 1,
    "weight_decay": 1e-2, "batch": 32, "bn": "train", "label_smoothing": 0.0, "seed": 0, "threads": 2, "dropout": 0.2,
    "carrier": "keras", "report_every": 0,
}
# Keras MobileNetV2's inverted-residual stages: expansion, output channels, blocks, stride of the first.
STAGES = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)]


def keras_pad(x):
    """Keras's correct_pad for a 3x3 stride-2 'valid' window: (h % 2, 1) rows, (w % 2, 1) columns."""
    return F.pad(x, (x.shape[3] % 2, 1, x.shape[2] % 2, 1))


def bn(channels):
    return nn.BatchNorm2d(channels, eps=1e-3, momentum=0.01)


class Block(nn.Module):
    def __init__(self, prefix, cin, cout, expansion, stride):
        super().__init__()
        self.prefix, self.stride, self.residual = prefix, stride, stride == 1 and cin == cout
        hidden = cin * expansion
        self.expand = nn.Conv2d(cin, hidden, 1, bias=False) if expansion != 1 else None
        self.expand_bn = bn(hidden) if expansion != 1 else None
        self.depthwise = nn.Conv2d(hidden, hidden, 3, stride, 1 if stride == 1 else 0, groups=hidden, bias=False)
        self.depthwise_bn = bn(hidden)
        self.project = nn.Conv2d(hidden, cout, 1, bias=False)
        self.project_bn = bn(cout)

    def forward(self, x):
        y = x if self.expand is None else F.relu6(self.expand_bn(self.expand(x)))
        y = F.relu6(self.depthwise_bn(self.depthwise(keras_pad(y) if self.stride == 2 else y)))
        y = self.project_bn(self.project(y))
        return x + y if self.residual else y

    def keras_names(self):
        pairs = [("depthwise", "depthwise"), ("depthwise_BN", "depthwise_bn"), ("project", "project"), ("project_BN", "project_bn")]
        if self.expand is not None:
            pairs = [("expand", "expand"), ("expand_BN", "expand_bn")] + pairs
        return [(f"{self.prefix}{keras}", getattr(self, attr)) for keras, attr in pairs]


class MobileNetV2(nn.Module):
    def __init__(self, classes, blocks=17, dropout=0.2):
        super().__init__()
        self.stem = nn.Conv2d(3, 32, 3, 2, 0, bias=False)
        self.stem_bn = bn(32)
        layers, cin, index = [], 32, 0
        for expansion, cout, count, first_stride in STAGES:
            for i in range(count):
                if index < blocks:
                    prefix = "expanded_conv_" if index == 0 else f"block_{index}_"
                    layers.append(Block(prefix, cin, cout, expansion, first_stride if i == 0 else 1))
                    cin = cout
                index += 1
        self.blocks = nn.Sequential(*layers)
        self.full = blocks == 17
        features = 1280 if self.full else 512
        self.last = nn.Conv2d(cin, features, 1, bias=not self.full)
        self.last_bn = bn(1280) if self.full else nn.Identity()
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(features, classes)

    def trunk(self, x):
        x = F.relu6(self.stem_bn(self.stem(keras_pad(x))))
        return self.blocks(x)

    def features(self, x):
        return F.relu6(self.last_bn(self.last(self.trunk(x)))).mean(dim=(2, 3))

    def forward(self, x):
        return self.head(self.dropout(self.features(x)))

    def load_keras(self, weights):
        def conv(module, name):
            kernel = weights[f"{name}/kernel"] if f"{name}/kernel" in weights else weights[f"{name}/depthwise_kernel"]
            # Keras: [kh, kw, in, out] and depthwise [kh, kw, in, 1]; torch: [out, in, kh, kw] and [in, 1, kh, kw].
            tensor = torch.from_numpy(kernel).permute(3, 2, 0, 1) if f"{name}/kernel" in weights else torch.from_numpy(kernel).permute(2, 3, 0, 1)
            module.weight.data.copy_(tensor)

        def norm(module, name):
            for attr, keras in (("weight", "gamma"), ("bias", "beta"), ("running_mean", "moving_mean"), ("running_var", "moving_variance")):
                getattr(module, attr).data.copy_(torch.from_numpy(weights[f"{name}/{keras}"]))

        conv(self.stem, "Conv1")
        norm(self.stem_bn, "bn_Conv1")
        for block in self.blocks:
            for name, module in block.keras_names():
                (norm if isinstance(module, nn.BatchNorm2d) else conv)(module, name)
        if self.full:
            conv(self.last, "Conv_1")
            norm(self.last_bn, "Conv_1_bn")


class FoldedBlock(nn.Module):
    """A TF-slim inverted-residual block whose batch norms are folded into the convolutions' biases."""

    def __init__(self, weights, prefix, stride):
        super().__init__()
        self.stride = stride
        self.expand = self.conv(weights, f"{prefix}/expand/Conv2D") if f"{prefix}/expand/Conv2D_weights" in weights else None
        self.depthwise = self.conv(weights, f"{prefix}/depthwise/depthwise", stride)
        self.project = self.conv(weights, f"{prefix}/project/Conv2D")
        self.residual = stride == 1 and self.project.out_channels == (self.expand or self.depthwise).in_channels

    @staticmethod
    def conv(weights, name, stride=1):
        kernel, bias = weights[f"{name}_weights"], weights[f"{name}_bn_offset"]
        kh, kw, cin, cout = kernel.shape
        depthwise = name.endswith("depthwise")
        conv = nn.Conv2d(cin, cin if depthwise else cout, kh, stride, 1 if kh == 3 and stride == 1 else 0, groups=cin if depthwise else 1)
        conv.weight.data.copy_(torch.from_numpy(kernel).permute(2, 3, 0, 1) if depthwise else torch.from_numpy(kernel).permute(3, 2, 0, 1))
        conv.bias.data.copy_(torch.from_numpy(bias))
        return conv

    def forward(self, x):
        y = x if self.expand is None else F.relu6(self.expand(x))
        y = F.relu6(self.depthwise(keras_pad(y) if self.stride == 2 else y))
        y = self.project(y)
        return x + y if self.residual else y


class FoldedMobileNetV2(nn.Module):
    """nsfwjs's 'mobilenet_v2_mid': TF-Hub's MobileNetV2 1.4 (224 px), batch norm folded; fine-tuned without batch norm."""

    STRIDES = [1, 2, 1, 2, 1, 1, 2, 1, 1, 1, 1, 1, 1, 2, 1, 1, 1]

    def __init__(self, weights, classes, dropout=0.2):
        super().__init__()
        self.stem = FoldedBlock.conv(weights, "Conv/Conv2D", 2)
        self.blocks = nn.Sequential(*[FoldedBlock(weights, "expanded_conv" + (f"_{i}" if i else ""), s) for i, s in enumerate(self.STRIDES)])
        self.last = FoldedBlock.conv(weights, "Conv_1/Conv2D")
        self.full = True
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(self.last.out_channels, classes)

    def features(self, x):
        x = F.relu6(self.stem(keras_pad(x)))
        return F.relu6(self.last(self.blocks(x))).mean(dim=(2, 3))

    def forward(self, x):
        return self.head(self.dropout(self.features(x)))


def read_weights(folder, name="weights"):
    index = json.load(open(f"{folder}/{name}.json"))
    values = np.fromfile(f"{folder}/{name}.bin", dtype=np.float32)
    return {w["name"]: values[w["offset"]:w["offset"] + int(np.prod(w["shape"]))].reshape(w["shape"]).copy() for w in index}


def read_images(folder, name):
    meta = json.load(open(f"{folder}/{name}.json"))
    size = meta["size"]
    pixels = np.fromfile(f"{folder}/{name}.bin", dtype=np.uint8).reshape(-1, size, size, 3)
    # MobileNetV2's scaling, as gramlens's backbone: [0, 1] pixels with mean 0.5 and sd 0.5.
    x = torch.from_numpy(pixels).permute(0, 3, 1, 2).float() / 127.5 - 1
    return x, torch.tensor(meta["labels"]), np.array(meta["splits"]), meta["classes"]


def check(folder, size):
    model = MobileNetV2(4)
    model.load_keras(read_weights(folder))
    model.eval()
    x, _, _, _ = read_images(folder, f"fold0_{size}")
    reference = json.load(open(f"{folder}/reference_{size}.json"))
    with torch.no_grad():
        stem = F.relu6(model.stem_bn(model.stem(keras_pad(x[:1]))))
        block13 = model.blocks[:14](stem)[0].permute(1, 2, 0).numpy().ravel()
        pooled = model.features(x[:1])[0].numpy()
    tf_block13 = np.array(reference["block_13_project_BN"]["values"], dtype=np.float32)
    tf_pooled = np.array(reference["pooled"], dtype=np.float32)
    print(json.dumps({
        "size": size,
        "block_13_project_BN_max_abs_diff": float(np.abs(block13 - tf_block13).max()), "block_13_max_abs": float(np.abs(tf_block13).max()),
        "pooled_max_abs_diff": float(np.abs(pooled - tf_pooled).max()), "pooled_max_abs": float(np.abs(tf_pooled).max()),
    }))


def dihedral(x, view):
    x = torch.rot90(x, view % 4, (2, 3))
    return x.flip(3) if view >= 4 else x


def macro_f1(predicted, truth, classes):
    scores = []
    for c in range(classes):
        tp = int(((predicted == c) & (truth == c)).sum())
        fp = int(((predicted == c) & (truth != c)).sum())
        fn = int(((predicted != c) & (truth == c)).sum())
        scores.append(0.0 if tp == 0 else 2 * tp / (2 * tp + fp + fn))
    return sum(scores) / classes


def evaluate(model, x, y, classes, views):
    model.eval()
    with torch.no_grad():
        probabilities = sum(torch.cat([F.softmax(model(dihedral(x[i:i + 64], v)), 1) for i in range(0, len(x), 64)]) for v in views)
    return macro_f1(probabilities.argmax(1), y, classes)


def set_trunk_trainable(model, trainable):
    for name, parameter in model.named_parameters():
        if not name.startswith("head") and not (name.startswith("last") and not model.full):
            parameter.requires_grad_(trainable)


def train(folder, options):
    o = {**DEFAULTS, **options}
    torch.set_num_threads(o["threads"])
    torch.manual_seed(o["seed"])
    x, y, splits, classes = read_images(folder, f"fold{o['fold']}_{o['size']}")
    train_rows, test_rows = torch.from_numpy(splits == "train"), torch.from_numpy(splits == "test")
    x_train, y_train, x_test, y_test = x[train_rows], y[train_rows], x[test_rows], y[test_rows]
    n_classes = len(classes)
    if o["carrier"] == "mid":
        model = FoldedMobileNetV2(read_weights(folder, "mid_weights"), n_classes, o["dropout"])
    else:
        model = MobileNetV2(n_classes, o["blocks"], o["dropout"])
        model.load_keras(read_weights(folder))
    counts = torch.bincount(y_train, minlength=n_classes).float().clamp(min=1)
    class_weights = len(y_train) / (n_classes * counts)
    head = [p for n, p in model.named_parameters() if n.startswith("head") or (n.startswith("last") and not model.full)]
    trunk = [p for n, p in model.named_parameters() if not (n.startswith("head") or (n.startswith("last") and not model.full))]
    steps_per_epoch = (len(y_train) + o["batch"] - 1) // o["batch"]
    history = []
    start = time.perf_counter()

    def run_epochs(epochs, optimizer, frozen_trunk):
        schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs * steps_per_epoch)
        for epoch in range(epochs):
            model.train()
            if frozen_trunk or o["bn"] == "frozen":
                for module in model.modules():
                    if isinstance(module, nn.BatchNorm2d):
                        module.eval()
            order = torch.randperm(len(y_train))
            total = 0.0
            for i in range(0, len(order), o["batch"]):
                idx = order[i:i + o["batch"]]
                batch = torch.stack([dihedral(x_train[j:j + 1], int(v))[0] for j, v in zip(idx.tolist(), torch.randint(0, 8, (len(idx),)))])
                optimizer.zero_grad()
                loss = F.cross_entropy(model(batch), y_train[idx], weight=class_weights, label_smoothing=o["label_smoothing"])
                loss.backward()
                optimizer.step()
                schedule.step()
                total += float(loss) * len(idx)
            history.append({"loss": round(total / len(y_train), 4), "seconds": round(time.perf_counter() - start, 1)})
            if o["report_every"] and len(history) % o["report_every"] == 0:
                # Reported to see how the score moves over a run, never used to choose anything.
                history[-1]["held_out_macro_f1"] = round(evaluate(model, x_test, y_test, n_classes, [0]), 4)
            print(json.dumps({"epoch": len(history), **history[-1]}), file=sys.stderr, flush=True)

    if o["head_epochs"] > 0:
        set_trunk_trainable(model, False)
        run_epochs(o["head_epochs"], torch.optim.AdamW(head, lr=o["lr"], weight_decay=o["weight_decay"]), True)
        set_trunk_trainable(model, True)
    optimizer = torch.optim.AdamW(
        [{"params": head, "lr": o["lr"]}, {"params": trunk, "lr": o["lr"] / o["trunk_lr_ratio"]}], weight_decay=o["weight_decay"],
    )
    run_epochs(o["epochs"] - o["head_epochs"], optimizer, False)
    seconds = time.perf_counter() - start
    print(json.dumps({
        "macro_f1": round(evaluate(model, x_test, y_test, n_classes, [0]), 4),
        "macro_f1_tta8": round(evaluate(model, x_test, y_test, n_classes, range(8)), 4),
        "seconds": round(seconds, 1), "n_train": len(y_train), "n_test": len(y_test), "final_loss": history[-1]["loss"], "options": o,
    }))


def probe(folder, options):
    """Frozen trunk: pooled last features averaged over the 8 dihedral views, a class-weighted logistic
    regression on them (its L2 strength chosen on the "val" rows), scored on the "test" rows."""
    o = {**DEFAULTS, **options}
    torch.set_num_threads(o["threads"])
    x, y, splits, classes = read_images(folder, f"fold{o['fold']}_{o['size']}")
    if o["carrier"] == "mid":
        model = FoldedMobileNetV2(read_weights(folder, "mid_weights"), len(classes))
    else:
        model = MobileNetV2(len(classes))
        model.load_keras(read_weights(folder))
    model.eval()
    start = time.perf_counter()
    with torch.no_grad():
        features = sum(torch.cat([model.features(dihedral(x[i:i + 32], v)) for i in range(0, len(x), 32)]) for v in range(8)) / 8
    rows = {name: torch.from_numpy(splits == name) for name in ("train", "val", "test")}
    mean, std = features[rows["train"]].mean(0), features[rows["train"]].std(0) + 1e-6
    features = (features - mean) / std
    counts = torch.bincount(y[rows["train"]], minlength=len(classes)).float().clamp(min=1)
    class_weights = len(y[rows["train"]]) / (len(classes) * counts)

    def fit(l2):
        torch.manual_seed(0)
        linear = nn.Linear(features.shape[1], len(classes))
        optimizer = torch.optim.LBFGS(linear.parameters(), max_iter=200)

        def closure():
            optimizer.zero_grad()
            loss = F.cross_entropy(linear(features[rows["train"]]), y[rows["train"]], weight=class_weights) + l2 * linear.weight.pow(2).sum()
            loss.backward()
            return loss

        optimizer.step(closure)
        return linear

    def score(linear, name):
        with torch.no_grad():
            return macro_f1(linear(features[rows[name]]).argmax(1), y[rows[name]], len(classes))

    by_l2 = {l2: fit(l2) for l2 in (1e-4, 1e-3, 1e-2, 1e-1)}
    l2 = max(by_l2, key=lambda value: score(by_l2[value], "val"))
    print(json.dumps({"carrier": o["carrier"], "fold": o["fold"], "size": o["size"], "l2": l2, "val_macro_f1": round(score(by_l2[l2], "val"), 4),
                      "macro_f1": round(score(by_l2[l2], "test"), 4), "seconds": round(time.perf_counter() - start, 1)}))


def nsfw_check(folder):
    weights = read_weights(folder, "mid_weights")
    model = FoldedMobileNetV2(weights, 5)
    model.head.weight.data.copy_(torch.from_numpy(weights["Func/StatefulPartitionedCall/input/_262"]).T)
    model.head.bias.data.copy_(torch.from_numpy(weights["Func/StatefulPartitionedCall/input/_263"]))
    model.eval()
    x, _, _, _ = read_images(folder, "fold0_224")
    with torch.no_grad():
        probabilities = F.softmax(model(x[:8]), 1)
    print(json.dumps({"classes": ["drawing", "hentai", "neutral", "porn", "sexy"], "probabilities": [[round(float(p), 3) for p in row] for row in probabilities]}))


if __name__ == "__main__":
    command, folder = sys.argv[1], sys.argv[2]
    if command == "nsfw_check":
        nsfw_check(folder)
    elif command == "probe":
        probe(folder, json.loads(sys.argv[3]) if len(sys.argv) > 3 else {})
    elif command == "check":
        check(folder, int(sys.argv[3]) if len(sys.argv) > 3 else 128)
    else:
        train(folder, json.loads(sys.argv[3]) if len(sys.argv) > 3 else {})
