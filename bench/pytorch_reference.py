"""PyTorch reference for bench/engine.ts: the same seed CNN, batch and optimizer, timed on the CPU.

Prints one JSON line: {"train_img_s": [...per round...], "infer_img_s": [...], "threads": n, "torch": version}.
Install the reference with `apt-get install python3-torch` (Debian's build, no download from elsewhere).
"""
import json
import sys
import time

import torch
import torch.nn as nn


def seed_cnn(channels, size, classes, filters=(16, 32, 64)):
    layers = []
    c = channels
    for f in filters:
        layers += [nn.Conv2d(c, f, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2)]
        c = f
        size //= 2
    layers += [nn.Flatten(), nn.Linear(c * size * size, classes)]
    return nn.Sequential(*layers)


def main():
    args = json.loads(sys.argv[1]) if len(sys.argv) > 1 else {}
    size = args.get("size", 64)
    channels = args.get("channels", 3)
    classes = args.get("classes", 9)
    batch = args.get("batch", 32)
    steps = args.get("steps", 20)
    rounds = args.get("rounds", 3)
    threads = args.get("threads", 2)
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = seed_cnn(channels, size, classes)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    x = torch.randn(batch, channels, size, size)
    y = torch.randint(0, classes, (batch,))

    def train_round():
        model.train()
        start = time.perf_counter()
        for _ in range(steps):
            optimizer.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            optimizer.step()
        return batch * steps / (time.perf_counter() - start)

    def infer_round():
        model.eval()
        with torch.no_grad():
            start = time.perf_counter()
            for _ in range(steps):
                model(x)
            return batch * steps / (time.perf_counter() - start)

    train_round()
    infer_round()
    result = {"train_img_s": [], "infer_img_s": [], "threads": threads, "torch": torch.__version__}
    for _ in range(rounds):
        result["train_img_s"].append(train_round())
        result["infer_img_s"].append(infer_round())
    print(json.dumps(result))


if __name__ == "__main__":
    main()
