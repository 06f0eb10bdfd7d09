"""Training throughput on this machine's CPU (or a GPU), in one run, in samples/second:

1. the article's loop as written: batch 4, a DataLoader with ToTensor + Normalize and
   num_workers=2, SGD lr 0.001 momentum 0.9, its CNN with dropout 0.5;
2. a plain hand-written loop, tensors already in memory, the service's default batch
   size (64), the same network and optimizer settings;
3. the service's trainer (NetworkTrainer, as a job runs it: history, penalties and
   callbacks included).

And, with augmentation (crop with padding 2, flip, rotation 10 degrees): the service's
batched on-device augmentation against a per-sample torchvision DataLoader pipeline.

    python -m bench.training_speed [--samples 6000] [--device cpu]

Data: FashionMNIST-shaped (28x28 uint8, 10 classes), generated (no download).
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
import torchvision.transforms as T
from torch import nn
from torch.utils.data import DataLoader, Dataset

from api_schemas import CNNSpec, DataAugmentation, TrainingSpec
from workers.trainers.augmentation import augment_images
from workers.trainers.network_config import NetworkConfig
from workers.trainers.network_trainer import NetworkTrainer
from workers.trainers.networks import build_cnn


class ArticleNet(nn.Module):
    """The article's network, verbatim."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, padding=1)
        self.pool = nn.MaxPool2d(2, 2)
        self.conv2 = nn.Conv2d(32, 64, 3, padding=1)
        self.fc1 = nn.Linear(64 * 7 * 7, 128)
        self.fc2 = nn.Linear(128, 10)
        self.dropout = nn.Dropout(0.5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        x = x.view(-1, 64 * 7 * 7)
        x = F.relu(self.fc1(x))
        x = self.dropout(x)
        return self.fc2(x)  # type: ignore[no-any-return]


class Images(Dataset[tuple[torch.Tensor, int]]):
    def __init__(self, images: np.ndarray, labels: np.ndarray, transform: T.Compose) -> None:
        self.images, self.labels, self.transform = images, labels, transform

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        return self.transform(self.images[index]), int(self.labels[index])


def fashion_like(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A faint bar whose height says the class, jittered by up to two rows into its
    neighbours' places, in strong noise: learnable, but not perfectly."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, n)
    images = rng.integers(0, 120, (n, 28, 28)).astype(np.uint8)
    jitter = rng.integers(-2, 3, n)
    for i, label in enumerate(labels):
        row = 4 + 2 * int(label) + int(jitter[i])
        images[i, row : row + 2, 4:24] += 70
    return images, labels


def loader_loop(loader: DataLoader[Any], net: nn.Module, lr: float) -> float:
    """Samples per second of one epoch fed by a DataLoader."""
    optimizer = torch.optim.SGD(net.parameters(), lr=lr, momentum=0.9)
    started, seen = time.perf_counter(), 0
    for inputs, targets in loader:
        optimizer.zero_grad()
        loss = F.cross_entropy(net(inputs), targets)
        loss.backward()  # type: ignore[no-untyped-call]
        optimizer.step()
        seen += len(targets)
    return seen / (time.perf_counter() - started)


def article_loop(images: np.ndarray, labels: np.ndarray) -> float:
    transform = T.Compose([T.ToTensor(), T.Normalize((0.5,), (0.5,))])
    dataset = Images(images[..., None], labels, transform)
    loader = DataLoader(dataset, batch_size=4, shuffle=True, num_workers=2)
    return loader_loop(loader, ArticleNet(), lr=0.001)


def hand_loop(
    images: np.ndarray,
    labels: np.ndarray,
    device: torch.device,
    augment: DataAugmentation | None = None,
) -> float:
    inputs = ((torch.from_numpy(images).float() / 255 - 0.5) / 0.5).unsqueeze(1).to(device)
    targets = torch.from_numpy(labels).to(device)
    net = build_cnn(CNNSpec(), (1, 28, 28), 10, 0.5, False).to(device)
    optimizer = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
    generator = torch.Generator(device=device).manual_seed(0)
    started = time.perf_counter()
    order = torch.randperm(len(targets), device=device)
    for start in range(0, len(targets), 64):
        index = order[start : start + 64]
        batch = (
            inputs[index] if augment is None else augment_images(inputs[index], augment, generator)
        )
        optimizer.zero_grad()
        loss = F.cross_entropy(net(batch), targets[index])
        loss.backward()  # type: ignore[no-untyped-call]
        optimizer.step()
    if device.type == "cuda":
        torch.cuda.synchronize()
    return len(labels) / (time.perf_counter() - started)


def torchvision_augmented_loop(images: np.ndarray, labels: np.ndarray) -> float:
    transform = T.Compose(
        [
            T.ToTensor(),
            T.RandomCrop(28, padding=2),
            T.RandomHorizontalFlip(),
            T.RandomRotation(10),
            T.Normalize((0.5,), (0.5,)),
        ]
    )
    dataset = Images(images[..., None], labels, transform)
    loader = DataLoader(dataset, batch_size=64, shuffle=True, num_workers=2)
    return loader_loop(loader, build_cnn(CNNSpec(), (1, 28, 28), 10, 0.5, False), lr=0.01)


def service_trainer(
    images: np.ndarray, labels: np.ndarray, device: str, augment: DataAugmentation | None = None
) -> float:
    training = TrainingSpec(epochs=1, validation_fraction=0, device=device)  # type: ignore[arg-type]
    config = NetworkConfig(model=CNNSpec(), training=training, dropout=0.5, augmentation=augment)
    trainer = NetworkTrainer(config, "classification", (1, 28, 28))
    X = images.reshape(len(images), -1).astype(np.float32) / 255
    trainer.fit(X, labels)
    return len(labels) / trainer.history_[-1]["seconds"]


def time_to_accuracy(samples: int, device: str) -> None:
    """The article's loop for its 5 epochs, then the service's trainer epoch by epoch until
    it reaches the same test accuracy: wall time of each."""
    images, labels = fashion_like(samples, seed=1)
    test_images, test_labels = fashion_like(2000, seed=2)
    transform = T.Compose([T.ToTensor(), T.Normalize((0.5,), (0.5,))])
    loader = DataLoader(
        Images(images[..., None], labels, transform), batch_size=4, shuffle=True, num_workers=2
    )
    net = ArticleNet()
    optimizer = torch.optim.SGD(net.parameters(), lr=0.001, momentum=0.9)
    started = time.perf_counter()
    for _ in range(5):
        for inputs, targets in loader:
            optimizer.zero_grad()
            F.cross_entropy(net(inputs), targets).backward()  # type: ignore[no-untyped-call]
            optimizer.step()
    article_seconds = time.perf_counter() - started
    net.eval()
    with torch.no_grad():
        test = ((torch.from_numpy(test_images).float() / 255 - 0.5) / 0.5).unsqueeze(1)
        target = float((net(test).argmax(1).numpy() == test_labels).mean())

    X = images.reshape(len(images), -1).astype(np.float32) / 255
    X_test = test_images.reshape(len(test_images), -1).astype(np.float32) / 255
    started, reached, epochs = time.perf_counter(), 0.0, 0
    trainer = None
    while reached < target and epochs < 50:
        epochs += 1
        training = TrainingSpec(epochs=epochs, validation_fraction=0, device=device)  # type: ignore[arg-type]
        config = NetworkConfig(model=CNNSpec(), training=training, dropout=0.5)
        trainer = NetworkTrainer(config, "classification", (1, 28, 28)).fit(X, labels)
        reached = float((trainer.predict(X_test) == test_labels).mean())
    service_seconds = sum(row["seconds"] for row in trainer.history_) if trainer else 0.0
    print(
        f"article loop, 5 epochs: test accuracy {target:.4f} in {article_seconds:.1f} s\n"
        f"service trainer: {reached:.4f} after {epochs} epoch(s), {service_seconds:.1f} s of "
        f"training ({article_seconds / max(service_seconds, 1e-9):.1f}x less wall time)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=6000)
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument(
        "--accuracy", action="store_true", help="also time both to the article's accuracy"
    )
    args = parser.parse_args()
    images, labels = fashion_like(args.samples)
    device = torch.device(args.device)
    augment = DataAugmentation(crop_padding=2, flip_probability=0.5, rotation_degrees=10)
    hand_loop(images[:512], labels[:512], device)  # warm-up
    rows = [
        (
            "article loop (batch 4, DataLoader)",
            article_loop(images, labels) if args.device == "cpu" else float("nan"),
        ),
        ("hand-written loop (batch 64, in memory)", hand_loop(images, labels, device)),
        ("service trainer (batch 64)", service_trainer(images, labels, args.device)),
        (
            "torchvision augmentation (DataLoader)",
            torchvision_augmented_loop(images, labels) if args.device == "cpu" else float("nan"),
        ),
        (
            "service trainer + on-device augmentation",
            service_trainer(images, labels, args.device, augment),
        ),
    ]
    threads = torch.get_num_threads()
    print(f"{args.samples} samples, one epoch each, device {args.device}, {threads} threads\n")
    for name, rate in rows:
        print(f"{name:<44} {rate:10.0f} samples/s")
    article, hand, service, tv_aug, service_aug = (rate for _, rate in rows)
    print(f"\nservice / hand-written loop            {service / hand:6.2f}x  (goal >= 0.95)")
    print(f"service / article loop                 {service / article:6.2f}x  (goal >= 5)")
    print(f"on-device / torchvision augmentation   {service_aug / tv_aug:6.2f}x  (goal >= 3)")
    if args.accuracy:
        print()
        time_to_accuracy(args.samples, args.device)


if __name__ == "__main__":
    main()
