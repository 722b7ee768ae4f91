"""The training loop every model shares: resume or start from an init checkpoint, step until the budget
(seconds of training, or steps) is spent, validate and checkpoint on a clock, log one JSON line per
validation. A task supplies only its step (one batch -> loss), its validation and its learning rate.

Checkpoint (checkpoint.pt in the run folder): {"params", "optimizer", "state", "config"}, written to a
temporary file and renamed, so a killed run always leaves the last complete one; run the same command
again to resume. Validation time does not count against a time budget.
"""
import json
import os
import time

import torch


class Trainer:
    def __init__(self, run_dir, net, optimizer, config, budget=float("inf"), steps=0, val_every=60.0, ckpt_every=60.0,
                 device="cpu"):
        self.run_dir, self.net, self.optimizer, self.config = run_dir, net, optimizer, config
        self.budget, self.steps, self.val_every, self.ckpt_every = budget, steps, val_every, ckpt_every
        os.makedirs(run_dir, exist_ok=True)
        self.ckpt_path = os.path.join(run_dir, "checkpoint.pt")
        self.log_path = os.path.join(run_dir, "log.jsonl")
        self.state = {"step": 0, "elapsed": 0.0, "samples": 0}
        self.resumed = False
        if os.path.exists(self.ckpt_path):
            ck = torch.load(self.ckpt_path, map_location=device, weights_only=False)
            net.load_state_dict(ck["params"])
            optimizer.load_state_dict(ck["optimizer"])
            self.state = ck["state"]
            self.resumed = True
            print(f"resumed {self.ckpt_path} at step {self.state['step']}, {self.state['elapsed']:.0f}s", flush=True)

    def start_from(self, init_params, label):
        """Load an init checkpoint's weights, unless the run resumed from its own checkpoint."""
        if self.resumed:
            return
        self.net.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in init_params.items()})
        print(f"initialised from {label}", flush=True)

    def write_config(self):
        with open(os.path.join(self.run_dir, "config.json"), "w") as f:
            json.dump(self.config, f, indent=1)

    def progress(self):
        return self.state["step"] / self.steps if self.steps else self.state["elapsed"] / self.budget

    def save(self):
        tmp = self.ckpt_path + ".tmp"
        torch.save({"params": self.net.state_dict(), "optimizer": self.optimizer.state_dict(), "state": self.state,
                    "config": self.config}, tmp)
        os.replace(tmp, self.ckpt_path)

    def log(self, entry):
        with open(self.log_path, "a") as f:
            f.write(json.dumps(entry) + "\n")
        print(json.dumps(entry), flush=True)

    def run(self, train_step, validate, learning_rate, batch):
        """train_step() -> loss tensor for one batch; validate() -> dict merged into the log entry;
        learning_rate(progress in [0, 1]) -> the rate for the next step."""
        start = time.time() - self.state["elapsed"]
        last_val = last_ckpt = time.time()
        loss_sum, loss_n = 0.0, 0
        while self.progress() < 1:
            for group in self.optimizer.param_groups:
                group["lr"] = learning_rate(self.progress())
            loss = train_step()
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            self.optimizer.step()
            self.state["step"] += 1
            self.state["samples"] += batch
            loss_sum += loss.item()
            loss_n += 1
            now = time.time()
            self.state["elapsed"] = now - start
            done = self.progress() >= 1
            if now - last_val >= self.val_every or done:
                self.net.eval()
                scores = validate()
                self.net.train()
                self.log({"step": self.state["step"], "elapsed": round(self.state["elapsed"], 1), "loss": loss_sum / max(loss_n, 1),
                          "lr": self.optimizer.param_groups[0]["lr"],
                          "samples_per_s": self.state["samples"] / max(self.state["elapsed"], 1e-9), **scores})
                loss_sum, loss_n = 0.0, 0
                last_val = time.time()
                start += last_val - now
            if time.time() - last_ckpt >= self.ckpt_every or done:
                self.save()
                last_ckpt = time.time()
        self.save()
