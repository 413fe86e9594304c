"""UCF101: clips of root/<class>/<video>.avi, split by the official trainlist/testlist files."""
import os

from .video_utils import _FoldedVideoDataset


class UCF101(_FoldedVideoDataset):
    """UCF101 action recognition videos as fixed-length clips (`frames_per_clip` frames, `step_between_clips`
    apart). `annotation_path` holds `trainlist0<fold>.txt` / `testlist0<fold>.txt` (from
    https://www.crcv.ucf.edu/data/UCF101/UCF101TrainTestSplits-RecognitionTask.zip), whose lines start with
    `<class>/<video>.avi`. Samples are (video, audio, label)."""

    def _select_fold(self, video_list, annotation_path, fold, train):
        """Indices of the videos listed in the fold's train (or test) list."""
        name = f"{'train' if train else 'test'}list{fold:02d}.txt"
        with open(os.path.join(annotation_path, name)) as fid:
            selected = {os.path.join(self.root, *line.strip().split(" ")[0].split("/")) for line in fid}
        return [i for i, path in enumerate(video_list) if path in selected]
