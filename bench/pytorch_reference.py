"""PyTorch reference for bench/engine.ts: the same network, batch and optimizer, timed on the CPU.

Networks ("model" in the JSON argument): "seed-cnn" (default), "mobilenet_v2" (torchvision's, no
weights, all 17 blocks and its 1280-channel convolution) and "mobilenet_v2_gramlens" (the backbone
as gramlens trains it: torchvision's stem and blocks 0-13, then a new 1×1 convolution of 512
channels with ReLU6, global average pooling and a linear layer).
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


def mobilenet_v2(classes, gramlens_head):
    import torchvision

    net = torchvision.models.mobilenet_v2(weights=None, num_classes=classes)
    if not gramlens_head:
        return net
    # features[0] is the stem, features[1..14] Keras's blocks 0-13 (160 channels at stride 32).
    return nn.Sequential(*net.features[:15], nn.Conv2d(160, 512, 1), nn.ReLU6(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(512, classes))


def build(name, channels, size, classes):
    if name == "seed-cnn":
        return seed_cnn(channels, size, classes)
    if name in ("mobilenet_v2", "mobilenet_v2_gramlens"):
        return mobilenet_v2(classes, name == "mobilenet_v2_gramlens")
    raise SystemExit(f"unknown model {name}")


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
    model = build(args.get("model", "seed-cnn"), channels, size, classes)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    x = torch.randn(batch, channels, size, size)
    y = torch.randint(0, classes, (batch,))

    def train_round(count=steps):
        model.train()
        start = time.perf_counter()
        for _ in range(count):
            optimizer.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            optimizer.step()
        return batch * count / (time.perf_counter() - start)

    def infer_round():
        model.eval()
        with torch.no_grad():
            start = time.perf_counter()
            for _ in range(steps):
                model(x)
            return batch * steps / (time.perf_counter() - start)

    if not args.get("no_infer"):
        infer_round()
    train_round(args.get("warmup_steps", steps))
    result = {"train_img_s": [], "infer_img_s": [], "threads": threads, "torch": torch.__version__}
    for _ in range(rounds):
        result["train_img_s"].append(train_round())
        if not args.get("no_infer"):
            result["infer_img_s"].append(infer_round())
    print(json.dumps(result))


if __name__ == "__main__":
    main()
