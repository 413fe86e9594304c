"""Helpers shared by the v2 transform classes: nested-input flattening, sample queries, argument checks."""
import collections
import collections.abc
import numbers
from contextlib import suppress

from PIL import Image as _PILImage

from ... import tv_tensors
from ..transforms import _check_sequence_input, _setup_angle, _setup_size  # noqa: F401
from .functional import get_dimensions, get_size, is_pure_tensor


# ---- nested inputs (the containers torch.utils._pytree walks into) -----------------------------------
def _is_namedtuple(obj):
    return isinstance(obj, tuple) and hasattr(type(obj), "_fields")


def tree_flatten(tree):
    """(leaves depth-first, spec) where spec rebuilds the same nesting from a list of leaves."""
    leaves = []

    def walk(node):
        if isinstance(node, (list, tuple)) and (type(node) in (list, tuple) or _is_namedtuple(node)):
            return (type(node), [walk(child) for child in node])
        if isinstance(node, collections.deque):
            return (collections.deque, [walk(child) for child in node], node.maxlen)
        if isinstance(node, dict) and type(node) in (dict, collections.OrderedDict, collections.defaultdict):
            return (type(node), {key: walk(child) for key, child in node.items()},
                    getattr(node, "default_factory", None))
        leaves.append(node)
        return None
    return leaves, walk(tree)


def tree_unflatten(leaves, spec):
    it = iter(leaves)

    def build(node):
        if node is None:
            return next(it)
        kind, children = node[0], node[1]
        if kind is collections.deque:
            return collections.deque((build(c) for c in children), maxlen=node[2])
        if isinstance(children, dict):
            items = [(key, build(child)) for key, child in children.items()]
            if kind is collections.defaultdict:
                return collections.defaultdict(node[2], items)
            return kind(items)
        values = [build(child) for child in children]
        return kind(*values) if issubclass(kind, tuple) and kind is not tuple else kind(values)
    return build(spec)


# ---- type checks and sample queries ------------------------------------------------------------------
def check_type(obj, types_or_checks):
    for check in types_or_checks:
        if isinstance(obj, check) if isinstance(check, type) else check(obj):
            return True
    return False


def has_any(flat_inputs, *types_or_checks):
    return any(check_type(inpt, types_or_checks) for inpt in flat_inputs)


def has_all(flat_inputs, *types_or_checks):
    return all(any(check_type(inpt, (check,)) for inpt in flat_inputs) for check in types_or_checks)


def get_bounding_boxes(flat_inputs):
    """The (single) BoundingBoxes of a sample."""
    try:
        return next(inpt for inpt in flat_inputs if isinstance(inpt, tv_tensors.BoundingBoxes))
    except StopIteration:
        raise ValueError("No bounding boxes were found in the sample") from None


def _sequence_to_str(seq, separate_last=""):
    if not seq:
        return ""
    if len(seq) == 1:
        return f"'{seq[0]}'"
    head = "'" + "', '".join([str(item) for item in seq[:-1]]) + "'"
    tail = f"{'' if separate_last and len(seq) == 2 else ','} {separate_last}'{seq[-1]}'"
    return head + tail


def query_chw(flat_inputs):
    """(channels, height, width) shared by all images and videos of a sample."""
    chws = {tuple(get_dimensions(inpt)) for inpt in flat_inputs
            if check_type(inpt, (is_pure_tensor, tv_tensors.Image, _PILImage.Image, tv_tensors.Video))}
    if not chws:
        raise TypeError("No image or video was found in the sample")
    if len(chws) > 1:
        raise ValueError(f"Found multiple CxHxW dimensions in the sample: {_sequence_to_str(sorted(chws))}")
    return chws.pop()


def query_size(flat_inputs):
    """(height, width) shared by all images, videos, masks and boxes of a sample."""
    sizes = {tuple(get_size(inpt)) for inpt in flat_inputs
             if check_type(inpt, (is_pure_tensor, tv_tensors.Image, _PILImage.Image, tv_tensors.Video,
                                  tv_tensors.Mask, tv_tensors.BoundingBoxes))}
    if not sizes:
        raise TypeError("No image, video, mask, bounding box of keypoint was found in the sample")
    if len(sizes) > 1:
        raise ValueError(f"Found multiple HxW dimensions in the sample: {_sequence_to_str(sorted(sizes))}")
    return sizes.pop()


# ---- argument checks ---------------------------------------------------------------------------------
def _setup_number_or_seq(arg, name):
    if not isinstance(arg, (int, float, collections.abc.Sequence)):
        raise TypeError(f"{name} should be a number or a sequence of numbers. Got {type(arg)}")
    if isinstance(arg, collections.abc.Sequence):
        if len(arg) not in (1, 2):
            raise ValueError(f"If {name} is a sequence its length should be 1 or 2. Got {len(arg)}")
        for element in arg:
            if not isinstance(element, (int, float)):
                raise ValueError(f"{name} should be a sequence of numbers. Got {type(element)}")
        return [float(arg[0]), float(arg[-1])]
    return [float(arg), float(arg)]


def _check_fill_arg(fill):
    if isinstance(fill, dict):
        for value in fill.values():
            _check_fill_arg(value)
    elif fill is not None and not isinstance(fill, (numbers.Number, tuple, list)):
        raise TypeError("Got inappropriate fill arg, only Numbers, tuples, lists and dicts are allowed.")


def _convert_fill_arg(fill):
    if fill is None or isinstance(fill, (int, float)):
        return fill
    return [float(v) for v in list(fill)]


def _setup_fill_arg(fill):
    """{input type or "others": fill} from a fill value or a per-type dict."""
    _check_fill_arg(fill)
    if isinstance(fill, dict):
        for key, value in fill.items():
            fill[key] = _convert_fill_arg(value)
        return fill
    return {"others": _convert_fill_arg(fill)}


def _get_fill(fill_dict, inpt_type):
    if inpt_type in fill_dict:
        return fill_dict[inpt_type]
    return fill_dict.get("others")


def _check_padding_arg(padding):
    err_msg = f"Padding must be an int or a 1, 2, or 4 element of tuple or list, got {padding}."
    if isinstance(padding, (tuple, list)):
        if len(padding) not in [1, 2, 4] or not all(isinstance(p, int) for p in padding):
            raise ValueError(err_msg)
    elif not isinstance(padding, int):
        raise ValueError(err_msg)


def _check_padding_mode_arg(padding_mode):
    if padding_mode not in ["constant", "edge", "reflect", "symmetric"]:
        raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")


# ---- labels of a detection sample --------------------------------------------------------------------
def _find_labels_default_heuristic(inputs):
    """The labels of a sample: the second item of a pair if it is a tensor, else the 'labels'-like key of a dict."""
    if isinstance(inputs, (tuple, list)):
        inputs = inputs[1]
    if is_pure_tensor(inputs):
        return inputs
    if not isinstance(inputs, collections.abc.Mapping):
        raise ValueError(f"When using the default labels_getter, the input passed to forward must be a dictionary or a "
                         f"two-tuple whose second item is a dictionary or a tensor, but got {inputs} instead.")
    candidate_key = None
    with suppress(StopIteration):
        candidate_key = next(key for key in inputs.keys() if key.lower() == "labels")
    if candidate_key is None:
        with suppress(StopIteration):
            candidate_key = next(key for key in inputs.keys() if "label" in key.lower())
    if candidate_key is None:
        raise ValueError("Could not infer where the labels are in the sample. Try passing a callable as the "
                         "labels_getter parameter?If there are no labels in the sample by design, pass "
                         "labels_getter=None.")
    return inputs[candidate_key]


def _parse_labels_getter(labels_getter):
    if labels_getter == "default":
        return _find_labels_default_heuristic
    if callable(labels_getter):
        return labels_getter
    if labels_getter is None:
        return lambda _: None
    raise ValueError(f"labels_getter should either be 'default', a callable, or None, but got {labels_getter}.")
