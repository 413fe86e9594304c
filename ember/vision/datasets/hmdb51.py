"""HMDB51: clips of root/<class>/<video>.avi, split by the official `*_test_split<fold>.txt` files."""
import glob
import os

from .video_utils import _FoldedVideoDataset


class HMDB51(_FoldedVideoDataset):
    """HMDB51 action recognition videos as fixed-length clips (`frames_per_clip` frames, `step_between_clips`
    apart). `annotation_path` holds the split files `<class>_test_split<fold>.txt`, whose lines read
    `<video>.avi <tag>` with tag 1 for train, 2 for test (0: unused). Samples are (video, audio, label)."""

    data_url = "https://serre-lab.clps.brown.edu/wp-content/uploads/2013/10/hmdb51_org.rar"
    splits = {
        "url": "https://serre-lab.clps.brown.edu/wp-content/uploads/2013/10/test_train_splits.rar",
        "md5": "15e67781e70dcfbdce2d7dbb9b3344b5",
    }
    TRAIN_TAG = 1
    TEST_TAG = 2

    def _select_fold(self, video_list, annotations_dir, fold, train):
        """Indices of the videos whose file name the fold's split files tag as train (or test)."""
        target_tag = self.TRAIN_TAG if train else self.TEST_TAG
        selected = set()
        for filepath in glob.glob(os.path.join(annotations_dir, f"*test_split{fold}.txt")):
            with open(filepath) as fid:
                for line in fid:
                    name, tag = line.split()
                    if int(tag) == target_tag:
                        selected.add(name)
        return [i for i, path in enumerate(video_list) if os.path.basename(path) in selected]
