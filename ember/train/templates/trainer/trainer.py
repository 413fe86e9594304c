import ember
from base import BaseTrainer
from ember.train import MetricTracker


class Trainer(BaseTrainer):
    """The project's trainer. The base class runs epochs, validation, checkpoints and logging;
    the optimisation step of one epoch is spelled out here so it is easy to change."""

    def _train_epoch(self):
        self.model.train()
        tracker = MetricTracker("loss", *[name for name, _ in self.metrics])
        for batch_idx, (data, target) in enumerate(self.data_loader):
            data, target = data.to(self.device), target.to(self.device)
            self.optimizer.zero_grad()
            output = self.model(data)
            loss = self.criterion(output, target)
            loss.backward()
            self.optimizer.step()
            tracker.update("loss", loss.item(), len(target))
            with ember.no_grad():
                for name, fn in self.metrics:
                    tracker.update(name, fn(output, target), len(target))
            self._call("on_batch_end", batch_idx, loss.item())
            if batch_idx + 1 >= self.len_epoch:
                break
        return tracker.result()
