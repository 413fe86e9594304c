"""Flickr8k (captions in the HTML page of the release) and Flickr30k (tab-separated token file)."""
import glob
import os
from collections import defaultdict
from html.parser import HTMLParser

from .folder import default_loader
from .vision import VisionDataset


class Flickr8kParser(HTMLParser):
    """Collects {image path: [captions]} from the Flickr8k annotation table (links name images, <li> hold captions)."""

    def __init__(self, root):
        super().__init__()
        self.root = root
        self.annotations = {}
        self.in_table = False
        self.current_tag = None
        self.current_img = None

    def handle_starttag(self, tag, attrs):
        self.current_tag = tag
        if tag == "table":
            self.in_table = True

    def handle_endtag(self, tag):
        self.current_tag = None
        if tag == "table":
            self.in_table = False

    def handle_data(self, data):
        if not self.in_table:
            return
        if data == "Image Not Found":
            self.current_img = None
        elif self.current_tag == "a":
            img_id = data.split("/")[-2]
            self.current_img = glob.glob(os.path.join(self.root, img_id + "_*.jpg"))[0]
            self.annotations[self.current_img] = []
        elif self.current_tag == "li" and self.current_img:
            self.annotations[self.current_img].append(data.strip())


class Flickr8k(VisionDataset):
    """Samples are (image, list of captions), images sorted by path."""

    def __init__(self, root, ann_file, transform=None, target_transform=None, loader=default_loader):
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.ann_file = os.path.expanduser(ann_file)
        parser = Flickr8kParser(self.root)
        with open(self.ann_file) as fh:
            parser.feed(fh.read())
        self.annotations = parser.annotations
        self.ids = list(sorted(self.annotations.keys()))
        self.loader = loader

    def __getitem__(self, index):
        img_id = self.ids[index]
        img = self.loader(img_id)
        if self.transform is not None:
            img = self.transform(img)
        target = self.annotations[img_id]
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def __len__(self):
        return len(self.ids)


class Flickr30k(VisionDataset):
    """Samples are (image, list of captions); `ann_file` lines are "<image>#<n>\\t<caption>"."""

    def __init__(self, root, ann_file, transform=None, target_transform=None, loader=default_loader):
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.ann_file = os.path.expanduser(ann_file)
        self.annotations = defaultdict(list)
        with open(self.ann_file) as fh:
            for line in fh:
                img_id, caption = line.strip().split("\t")
                self.annotations[img_id[:-2]].append(caption)
        self.ids = list(sorted(self.annotations.keys()))
        self.loader = loader

    def __getitem__(self, index):
        img_id = self.ids[index]
        img = self.loader(os.path.join(self.root, img_id))
        if self.transform is not None:
            img = self.transform(img)
        target = self.annotations[img_id]
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def __len__(self):
        return len(self.ids)
