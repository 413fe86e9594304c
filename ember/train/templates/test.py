"""Evaluate a checkpoint on the test split: python test.py -r runs/<name>/<run>/model_best.pth."""
import argparse

import data_loader.data_loaders as module_data
import model.loss as module_loss
import model.metric as module_metric
import model.model as module_arch
from ember.train import ConfigParser, evaluate, load_checkpoint


def main(checkpoint_path, config_path=None):
    checkpoint = load_checkpoint(checkpoint_path)
    config = ConfigParser.from_file(config_path) if config_path else ConfigParser(checkpoint["config"])
    data_loader = config.init_obj("data_loader", module_data, "data loader")
    model = config.init_obj("arch", module_arch, "model")
    model.load_state_dict(checkpoint["state_dict"])
    criterion = getattr(module_loss, config["loss"])
    metrics = [getattr(module_metric, name) for name in config["metrics"]]
    results = evaluate(model, criterion, metrics, data_loader.split_test(batch_size=256))
    print("test: " + "  ".join(f"{name} {value:.4f}" for name, value in results.items()))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="evaluate a checkpoint")
    parser.add_argument("-r", "--resume", required=True, help="checkpoint to evaluate")
    parser.add_argument("-c", "--config", help="config file (default: the one stored in the checkpoint)")
    args = parser.parse_args()
    main(args.resume, args.config)
