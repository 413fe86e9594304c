"""FakeData: random images with random labels, reproducible per index."""
from .vision import VisionDataset

_MODES = {1: "L", 2: "LA", 3: "RGB", 4: "RGBA"}


def _to_pil(img):
    """(C, H, W) float tensor in [0, 1] -> PIL image, the way ToPILImage converts it (x * 255 cast to uint8)."""
    from PIL import Image
    arr = img.mul(255).byte().numpy().transpose(1, 2, 0)
    channels = arr.shape[2]
    if channels == 1:
        return Image.fromarray(arr[:, :, 0])
    if channels not in _MODES:
        raise TypeError(f"Input type {arr.dtype} is not supported")
    return Image.frombytes(_MODES[channels], (arr.shape[1], arr.shape[0]), arr.tobytes())


class FakeData(VisionDataset):
    """`size` samples of shape `image_size` (C, H, W) drawn from ember's RNG seeded with index + random_offset.

    The global RNG state is restored after each sample, so reading samples does not disturb training."""

    def __init__(self, size=1000, image_size=(3, 224, 224), num_classes=10, transform=None, target_transform=None,
                 random_offset=0):
        super().__init__(transform=transform, target_transform=target_transform)
        self.size = size
        self.num_classes = num_classes
        self.image_size = image_size
        self.random_offset = random_offset

    def __getitem__(self, index):
        import ember
        if index >= len(self):
            raise IndexError(f"{type(self).__name__} index out of range")
        state = ember.get_rng_state()
        ember.manual_seed(index + self.random_offset)
        img = ember.randn(*self.image_size)
        target = ember.randint(0, self.num_classes, size=(1,), dtype=ember.long)[0]
        ember.set_rng_state(state)
        img = _to_pil(img)
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target.item()

    def __len__(self):
        return self.size
