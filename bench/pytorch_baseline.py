"""The plain PyTorch baseline of ../shared/datasets/bccd-wbc/SOURCE.txt, for bench/real.ts.

A ResNet-10-like net from scratch (3x3/2 stem + maxpool, 4 BasicBlocks 32-64-128-256, GAP, FC),
per-channel normalisation from the training images, random h/v flip + rot90, class-weighted
cross-entropy, Adam lr 1e-3 wd 1e-4, batch 32, cosine LR over the epochs, no validation, the last
epoch's weights. Reads one job (JSON path in argv[1]): {"train": FILE, "test": FILE, "n_train",
"n_test", "size", "channels", "classes", "train_labels", "epochs", "seed", "threads"}, the files
holding uint8 N x H x W x C pixels. Prints one JSON line: {"probabilities": [[...], ...], "seconds"}.
Needs Debian's python3-torch (apt-get install python3-torch); nothing is downloaded.
"""
import json
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.skip = None
        if stride != 1 or cin != cout:
            self.skip = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return F.relu(y + (x if self.skip is None else self.skip(x)))


def resnet10(channels, classes):
    return nn.Sequential(
        nn.Conv2d(channels, 32, 3, 2, 1, bias=False), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(3, 2, 1),
        BasicBlock(32, 32, 1), BasicBlock(32, 64, 2), BasicBlock(64, 128, 2), BasicBlock(128, 256, 2),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(256, classes),
    )


def load(path, n, size, channels):
    pixels = np.fromfile(path, dtype=np.uint8).reshape(n, size, size, channels)
    return torch.from_numpy(pixels.astype(np.float32) / 255).permute(0, 3, 1, 2).contiguous()


def augment(batch):
    if torch.rand(1).item() < 0.5:
        batch = batch.flip(3)
    if torch.rand(1).item() < 0.5:
        batch = batch.flip(2)
    return torch.rot90(batch, int(torch.randint(0, 4, (1,)).item()), (2, 3))


def main():
    job = json.load(open(sys.argv[1]))
    torch.set_num_threads(job.get("threads", 2))
    torch.manual_seed(job.get("seed", 0))
    size, channels, classes = job["size"], job["channels"], job["classes"]
    x_train = load(job["train"], job["n_train"], size, channels)
    x_test = load(job["test"], job["n_test"], size, channels)
    y_train = torch.tensor(job["train_labels"], dtype=torch.long)
    mean = x_train.mean(dim=(0, 2, 3), keepdim=True)
    std = x_train.std(dim=(0, 2, 3), keepdim=True) + 1e-6
    x_train, x_test = (x_train - mean) / std, (x_test - mean) / std
    counts = torch.bincount(y_train, minlength=classes).float().clamp(min=1)
    weights = len(y_train) / (classes * counts)
    model = resnet10(channels, classes)
    epochs = job.get("epochs", 30)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, weight_decay=1e-4)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
    start = time.perf_counter()
    for _ in range(epochs):
        model.train()
        order = torch.randperm(len(y_train))
        for i in range(0, len(order), 32):
            idx = order[i:i + 32]
            optimizer.zero_grad()
            loss = F.cross_entropy(model(augment(x_train[idx])), y_train[idx], weight=weights)
            loss.backward()
            optimizer.step()
        schedule.step()
    model.eval()
    with torch.no_grad():
        probabilities = torch.cat([F.softmax(model(x_test[i:i + 64]), dim=1) for i in range(0, len(x_test), 64)])
    print(json.dumps({"probabilities": probabilities.tolist(), "seconds": time.perf_counter() - start}))


if __name__ == "__main__":
    main()
