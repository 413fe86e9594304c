"""Train the model described by a config: python train.py -c config.json [--lr 0.01 --bs 32 --epochs 3]."""
import argparse
import os

import ember
import data_loader.data_loaders as module_data
import model.loss as module_loss
import model.metric as module_metric
import model.model as module_arch
from ember.train import ConfigParser, load_checkpoint
from logger import setup_logging
from trainer import Trainer
from utils import prepare_device, seed_everything


def main(config, resume=None):
    seed_everything(config.get("seed") or 0)
    device = prepare_device(config["n_gpu"])
    data_loader = config.init_obj("data_loader", module_data, "data loader")
    valid_data_loader = data_loader.split_validation()
    model = config.init_obj("arch", module_arch, "model").to(device)
    criterion = getattr(module_loss, config["loss"])
    metrics = [getattr(module_metric, name) for name in config["metrics"]]
    optimizer = config.init_obj("optimizer", ember.optim, "optimizer", model.parameters(), injected=("params",))
    lr_scheduler = None
    if config.get("lr_scheduler"):
        lr_scheduler = config.init_obj("lr_scheduler", ember.optim.lr_scheduler, "lr scheduler", optimizer,
                                       injected=("optimizer",))

    logger = setup_logging(config.save_dir, config["trainer"]["verbosity"])
    config.write()
    logger.info(model)
    trainer = Trainer(model, criterion, metrics, optimizer, config=config, device=device, data_loader=data_loader,
                      valid_data_loader=valid_data_loader, lr_scheduler=lr_scheduler)
    if resume:
        trainer.resume(resume)
    trainer.train()
    logger.info(f"results are in {config.save_dir}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="train a model")
    parser.add_argument("-c", "--config", help="config file path (default: the resumed run's config.json)")
    parser.add_argument("-r", "--resume", help="checkpoint to resume from")
    parser.add_argument("--lr", type=float, help="optimizer.args.lr")
    parser.add_argument("--bs", type=int, help="data_loader.args.batch_size")
    parser.add_argument("--epochs", type=int, help="trainer.epochs")
    args = parser.parse_args()
    overrides = {key: value for key, value in (("optimizer.args.lr", args.lr), ("data_loader.args.batch_size", args.bs),
                                               ("trainer.epochs", args.epochs)) if value is not None}
    if args.config:
        config = ConfigParser.from_file(args.config, overrides)
    elif args.resume:
        config = ConfigParser(load_checkpoint(args.resume)["config"], overrides)
    else:
        parser.error("give a config file (-c config.json) or a checkpoint to resume (-r)")
    main(config, args.resume)
