"""MS COCO detection and captions; the annotation JSON is indexed directly (pycocotools is not needed)."""
import json
import os
import time
from collections import defaultdict

from .vision import VisionDataset


class _COCO:
    """The part of pycocotools.coco.COCO the datasets use: the index and the get/load helpers."""

    def __init__(self, annotation_file):
        print("loading annotations into memory...")
        start = time.time()
        with open(annotation_file) as f:
            dataset = json.load(f)
        if not isinstance(dataset, dict):
            raise TypeError(f"annotation file format {type(dataset)} not supported")
        print(f"Done (t={time.time() - start:0.2f}s)")
        self.dataset = dataset
        print("creating index...")
        self.anns = {a["id"]: a for a in dataset.get("annotations", [])}
        self.imgs = {img["id"]: img for img in dataset.get("images", [])}
        self.cats = {c["id"]: c for c in dataset.get("categories", [])}
        self.imgToAnns, self.catToImgs = defaultdict(list), defaultdict(list)
        for ann in dataset.get("annotations", []):
            self.imgToAnns[ann["image_id"]].append(ann)
            if "category_id" in ann and "categories" in dataset:
                self.catToImgs[ann["category_id"]].append(ann["image_id"])
        print("index created!")

    @staticmethod
    def _list(x):
        return list(x) if isinstance(x, (list, tuple)) else [x]

    def getAnnIds(self, imgIds=(), catIds=(), areaRng=(), iscrowd=None):
        imgIds, catIds = self._list(imgIds), self._list(catIds)
        if imgIds:
            anns = [a for i in imgIds if i in self.imgToAnns for a in self.imgToAnns[i]]
        else:
            anns = self.dataset.get("annotations", [])
        if catIds:
            anns = [a for a in anns if a["category_id"] in catIds]
        if areaRng:
            anns = [a for a in anns if areaRng[0] < a["area"] < areaRng[1]]
        if iscrowd is not None:
            return [a["id"] for a in anns if a["iscrowd"] == iscrowd]
        return [a["id"] for a in anns]

    def getCatIds(self, catNms=(), supNms=(), catIds=()):
        catNms, supNms, catIds = self._list(catNms), self._list(supNms), self._list(catIds)
        cats = self.dataset.get("categories", [])
        cats = [c for c in cats if (not catNms or c["name"] in catNms) and
                (not supNms or c["supercategory"] in supNms) and (not catIds or c["id"] in catIds)]
        return [c["id"] for c in cats]

    def getImgIds(self, imgIds=(), catIds=()):
        ids = set(self._list(imgIds)) if self._list(imgIds) else None
        for i, cat in enumerate(self._list(catIds)):
            found = set(self.catToImgs[cat])
            ids = found if ids is None and i == 0 else (ids & found)
        return list(self.imgs.keys() if ids is None else ids)

    def loadAnns(self, ids=()):
        return [self.anns[i] for i in self._list(ids)]

    def loadCats(self, ids=()):
        return [self.cats[i] for i in self._list(ids)]

    def loadImgs(self, ids=()):
        return [self.imgs[i] for i in self._list(ids)]


class CocoDetection(VisionDataset):
    """Samples are (RGB image, list of the image's annotation dicts), images sorted by id."""

    def __init__(self, root, annFile, transform=None, target_transform=None, transforms=None):
        super().__init__(root, transforms, transform, target_transform)
        self.coco = _COCO(annFile)
        self.ids = list(sorted(self.coco.imgs.keys()))

    def _load_image(self, id):
        from PIL import Image
        path = self.coco.loadImgs(id)[0]["file_name"]
        return Image.open(os.path.join(self.root, path)).convert("RGB")

    def _load_target(self, id):
        return self.coco.loadAnns(self.coco.getAnnIds(id))

    def __getitem__(self, index):
        if not isinstance(index, int):
            raise ValueError(f"Index must be of type integer, got {type(index)} instead.")
        id = self.ids[index]
        image, target = self._load_image(id), self._load_target(id)
        if self.transforms is not None:
            image, target = self.transforms(image, target)
        return image, target

    def __len__(self):
        return len(self.ids)


class CocoCaptions(CocoDetection):
    """Samples are (RGB image, list of caption strings)."""

    def _load_target(self, id):
        return [ann["caption"] for ann in super()._load_target(id)]
