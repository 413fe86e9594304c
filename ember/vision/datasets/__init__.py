"""ember.vision.datasets: torchvision's datasets (same constructors, on-disk layouts, samples and reprs)."""
from .cifar import CIFAR10, CIFAR100
from .cityscapes import Cityscapes
from .coco import CocoCaptions, CocoDetection
from .fakedata import FakeData
from .flickr import Flickr8k, Flickr30k
from .folder import DatasetFolder, ImageFolder
from .hmdb51 import HMDB51
from .imagenet import ImageNet
from .kinetics import Kinetics
from .lsun import LSUN, LSUNClass
from .mnist import EMNIST, KMNIST, MNIST, QMNIST, FashionMNIST
from .phototour import PhotoTour
from .sbd import SBDataset
from .sbu import SBU
from .stl10 import STL10
from .svhn import SVHN
from .ucf101 import UCF101
from .usps import USPS
from .vision import VisionDataset
from .voc import VOCDetection, VOCSegmentation

__all__ = ("LSUN", "LSUNClass", "ImageFolder", "DatasetFolder", "FakeData", "CocoCaptions", "CocoDetection",
           "CIFAR10", "CIFAR100", "EMNIST", "FashionMNIST", "QMNIST", "MNIST", "KMNIST", "STL10", "SVHN",
           "PhotoTour", "SBU", "Flickr8k", "Flickr30k", "VOCSegmentation", "VOCDetection", "Cityscapes", "ImageNet",
           "SBDataset", "VisionDataset", "USPS")
__all__ += ("Kinetics", "HMDB51", "UCF101")
