from .util import prepare_device, read_json, seed_everything, write_json
