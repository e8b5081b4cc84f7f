"""Inner-validation manifests for choosing a recipe without the test folds.

python3 bench/bccd_inner_manifests.py [FOLD_DIR] [OUT_DIR] (default /tmp/bccd, /tmp/bccd-inner)

Reads the fold manifests foldN.csv (columns path,label,patient_id,split; as bench/real.ts and the
README's BCCD runs make them: the fold's test rows, and a seeded fifth of the other patients as
val) for folds 0 and 1, drops every test row unread, and writes OUT_DIR/foldN.csv in which the
fold's val rows become the inner held-out part (split "test") and a class-stratified, seeded fifth
of the train patients becomes the new val (calibration); the rest train. The class folders are
linked beside the manifests. `gramlens train OUT_DIR/foldN.csv --split-column split ...` then
scores a recipe on the inner held-out part.
"""
import csv
import os
import random
import sys

fold_dir = sys.argv[1] if len(sys.argv) > 1 else '/tmp/bccd'
out_dir = sys.argv[2] if len(sys.argv) > 2 else '/tmp/bccd-inner'
os.makedirs(out_dir, exist_ok=True)
for fold in (0, 1):
    with open(os.path.join(fold_dir, f'fold{fold}.csv')) as f:
        rows = [row for row in csv.DictReader(f) if row['split'] != 'test']
    rng = random.Random(100 + fold)
    # A first shuffle of every train patient (unused, but it moves the generator: kept so that the
    # manifests are the ones the README's figures were measured on).
    rng.shuffle(sorted({row['patient_id'] for row in rows if row['split'] == 'train'}))
    patients_by_label = {}
    for row in rows:
        if row['split'] == 'train':
            patients_by_label.setdefault(row['label'], set()).add(row['patient_id'])
    calibration = set()
    for label, patients in sorted(patients_by_label.items()):
        ordered = sorted(patients)
        rng.shuffle(ordered)
        calibration |= set(ordered[: len(ordered) // 5])
    for row in rows:
        row['split'] = 'test' if row['split'] == 'val' else ('val' if row['patient_id'] in calibration else 'train')
    with open(os.path.join(out_dir, f'fold{fold}.csv'), 'w', newline='') as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0].keys()))
        writer.writeheader()
        writer.writerows(rows)
for entry in os.listdir(fold_dir):
    source = os.path.join(fold_dir, entry)
    target = os.path.join(out_dir, entry)
    if os.path.isdir(source) and not os.path.exists(target):
        os.symlink(os.path.realpath(source), target)
