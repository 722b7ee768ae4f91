"""Unit tests of the training code (run by `npm test` through tests/integration/training.test.ts)."""
import json
import math
import os
import subprocess
import sys
import tempfile
import unittest

import numpy as np
import torch
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
TRAINING = os.path.dirname(HERE)
sys.path.insert(0, TRAINING)
torch.set_num_threads(1)

from degradations import bicubic_down, bicubic_up, cubic, gaussian_down, sr_degrade  # noqa: E402
from inpaint_model import ContextEncoder, dlnet_masked  # noqa: E402
from sr_model import SRNet, dlnet_sr  # noqa: E402


def matlab_imresize_down_1d(x, t):
    """Independent loop implementation of MATLAB's contributions() for scale 1/t (kept zero taps)."""
    n = len(x)
    out = []
    width = 4 * t
    for i in range(n // t):
        u = (i + 0.5) * t - 0.5
        left = math.floor(u - width / 2)
        taps = range(left, left + math.ceil(width) + 2)
        w = np.array([cubic((u - j) / t) / t for j in taps])
        w /= w.sum()
        idx = [j if 0 <= j < n else (-j - 1 if j < 0 else 2 * n - 1 - j) for j in taps]
        out.append(float(np.dot(w, x[idx])))
    return np.array(out)


class Degradations(unittest.TestCase):
    def test_bicubic_matches_an_independent_loop(self):
        rng = np.random.default_rng(0)
        for t in (2, 3, 4):
            img = rng.random((4 * t, 5 * t))
            ref = np.stack([matlab_imresize_down_1d(col, t) for col in img.T]).T
            ref = np.stack([matlab_imresize_down_1d(row, t) for row in ref])
            got = bicubic_down(torch.from_numpy(img)[None, None], t)[0, 0].numpy()
            np.testing.assert_allclose(got, ref, atol=1e-10)

    def test_gaussian_keeps_pixels_t_i_and_replicates_borders(self):
        x = torch.zeros(1, 1, 12, 12, dtype=torch.float64)
        x[0, 0, 6, 6] = 1.0
        y = gaussian_down(x, 2, 1.3)
        self.assertEqual(tuple(y.shape), (1, 1, 6, 6))
        self.assertEqual(int(torch.argmax(y)), 3 * 6 + 3)  # pixel (6, 6) = (2·3, 2·3)
        flat = gaussian_down(torch.full((1, 1, 8, 8), 0.7, dtype=torch.float64), 4, 2.6)
        self.assertTrue(torch.allclose(flat, torch.full_like(flat, 0.7)))

    def test_per_sample_blur_matches_single_blur(self):
        x = torch.rand(3, 1, 12, 12, dtype=torch.float64)
        u = torch.tensor([0.0, 1.3, 2.6], dtype=torch.float64)
        batched = sr_degrade(x, 3, u)
        for i in range(3):
            self.assertTrue(torch.allclose(batched[i], sr_degrade(x[i : i + 1], 3, float(u[i]))[0]))

    def test_upscale_interpolates_a_ramp(self):
        ramp = torch.arange(12, dtype=torch.float64).view(1, 1, 1, 12).repeat(1, 1, 12, 1)
        up = bicubic_up(ramp, 3)
        o = 15
        self.assertAlmostEqual(float(up[0, 0, 18, o]), (o + 0.5) / 3 - 0.5, places=9)


class DLNet(unittest.TestCase):
    def test_sr_k1_is_the_plain_network_and_l_decreases(self):
        torch.manual_seed(0)
        net = SRNet(2, depth=3, width=8).double()
        y = torch.rand(2, 1, 10, 12, dtype=torch.float64)
        u = torch.tensor([0.0, 1.3], dtype=torch.float64)
        self.assertTrue(torch.equal(dlnet_sr(net, y, u, K=1), net(y, u)))
        trace = []
        with torch.enable_grad():
            dlnet_sr(net, y, u, K=5, gamma=1e-2, trace=trace)
        lik = torch.stack([t[2] for t in trace])
        self.assertTrue(bool((lik[1:] < lik[:-1]).all()), lik)

    def test_drrn_g_fuses_every_third_unit_and_the_steps_lower_l(self):
        from sr_model import DRRN

        torch.manual_seed(0)
        net = DRRN(3, recursions=6, width=8, fuse_every=3, z_width=5).double()
        y = torch.rand(2, 1, 9, 11, dtype=torch.float64)
        u = torch.tensor([0.0, 2.0], dtype=torch.float64)
        self.assertEqual(tuple(net.g(y, u).shape), (2, 5, 9, 11))
        self.assertEqual(net.fuse.weight.shape[1], 16)  # units 3 and 6, 8 channels each
        trace = []
        with torch.enable_grad():
            out = dlnet_sr(net, y, u, K=4, gamma=1e-2, trace=trace, create_graph=True)
        lik = torch.stack([t[2] for t in trace])
        self.assertTrue(bool((lik[1:] < lik[:-1]).all()), lik)
        out.sum().backward()
        self.assertGreater(float(net.unit_a.weight.grad.abs().sum()), 0)

    def test_idn_g_keeps_its_shape_and_the_steps_lower_l(self):
        from sr_model import IDN

        torch.manual_seed(0)
        net = IDN(2, blocks=2).double()
        self.assertEqual(net.dblocks[0][1].groups, 4)
        y = torch.rand(1, 1, 9, 10, dtype=torch.float64)
        u = torch.tensor([1.0], dtype=torch.float64)
        self.assertEqual(tuple(net.g(y, u).shape), (1, 64, 9, 10))
        trace = []
        with torch.enable_grad():
            dlnet_sr(net, y, u, K=4, gamma=1e-2, trace=trace)
        lik = torch.stack([t[2] for t in trace])
        self.assertTrue(bool((lik[1:] < lik[:-1]).all()), lik)

    def test_training_gradient_flows_through_the_steps(self):
        torch.manual_seed(0)
        net = SRNet(2, depth=2, width=4).double()
        y = torch.rand(1, 1, 8, 8, dtype=torch.float64)
        out = dlnet_sr(net, y, torch.tensor([0.0], dtype=torch.float64), K=3, gamma=1e-2, create_graph=True)
        out.sum().backward()
        self.assertGreater(float(net.convs[0].weight.grad.abs().sum()), 0)

    def test_masked_dlnet_lowers_the_likelihood(self):
        torch.manual_seed(0)
        net = ContextEncoder().double().eval()
        x = torch.rand(2, 3, 64, 64, dtype=torch.float64) * 2 - 1
        m = (torch.rand(2, 1, 64, 64) > 0.5).double()
        trace = []
        with torch.enable_grad():
            dlnet_masked(net, x * m, m, K=4, gamma=1e-2, trace=trace)
        lik = torch.stack([t[2] for t in trace])
        self.assertTrue(bool((lik[1:] < lik[:-1]).all()), lik)


class FullyConvolutional(unittest.TestCase):
    def test_first_guess_keeps_a_constant_and_the_steps_lower_l_at_any_size(self):
        from inpaint_model import FConvMasked, gaussian_kernel, normalized_convolution

        torch.manual_seed(0)
        m = (torch.rand(2, 1, 40, 52) < 0.5).float()
        flat = torch.full((2, 3, 40, 52), 0.3) * m
        self.assertLess(float((normalized_convolution(flat, m, gaussian_kernel().float()) - 0.3).abs().max()), 1e-5)
        net = FConvMasked(depth=3, width=8)
        with torch.no_grad():
            net.out.weight.normal_(0, 0.2)
        x = torch.rand(2, 3, 40, 52) * 2 - 1
        trace = []
        with torch.enable_grad():
            out = dlnet_masked(net, x * m, m, K=4, gamma=1e-2, trace=trace)
        self.assertEqual(tuple(out.shape), (2, 3, 40, 52))
        lik = torch.stack([t[2] for t in trace])
        self.assertTrue(bool((lik[1:] < lik[:-1]).all()), lik)


class Data(unittest.TestCase):
    def test_scene_crops_leave_out_the_held_out_photos(self):
        from faces import SceneCrops, held_out_scenes

        held = sorted(held_out_scenes())
        self.assertEqual(len(held), 40)  # train/scenes files 41-80: what the photo-strategy reports measure on
        with tempfile.TemporaryDirectory() as tmp:
            rng = np.random.default_rng(2)
            for name in ["a.png", held[0], "302003.jpg"]:
                Image.fromarray((rng.random((70, 80, 3)) * 255).astype(np.uint8)).save(os.path.join(tmp, name))
            self.assertEqual(len(SceneCrops([tmp], "cpu").images), 1)
            self.assertEqual(len(SceneCrops([tmp], "cpu", exclude=set()).images), 2)
            crops = SceneCrops([tmp], "cpu").sample(3, torch.Generator().manual_seed(0))
            self.assertEqual(tuple(crops.shape), (3, 3, 64, 64))


class BlurEstimatorTraining(unittest.TestCase):
    def test_ambiguous_share_moves_gaussian_draws_near_0_4_t_and_keeps_bicubic(self):
        from train_blur_estimator import sample_training_blurs

        plain = sample_training_blurs(4000, 3, 0.0, torch.Generator().manual_seed(5))
        focused = sample_training_blurs(4000, 3, 0.5, torch.Generator().manual_seed(5))
        self.assertTrue(torch.equal(plain == 0, focused == 0))  # the same patches are bicubic
        near = lambda u: float(((u - 1.2).abs() <= 0.3).sum()) / float((u > 0).sum())  # noqa: E731
        self.assertAlmostEqual(near(plain), 0.2, delta=0.03)  # U(0, 3]: 0.6 / 3 of the Gaussian draws
        self.assertAlmostEqual(near(focused), 0.6, delta=0.04)  # half moved there, plus a fifth of the rest

    def test_scene_photos_the_suggestion_is_calibrated_on_are_never_trained_on(self):
        from train_blur_estimator import without_calibration_scenes

        scenes = [os.path.join("data", "train", "scenes", f"{name}.jpg") for name in "qwertyuiopasdfghjklz"]
        others = [os.path.join("data", "train", "BSD400", f"{i}.jpg") for i in range(3)]
        kept = without_calibration_scenes(others + scenes)
        left_out = sorted(scenes)[::8]  # as calibrate_suggest_blur.mts picks them
        self.assertEqual(len(left_out), 3)
        self.assertFalse(set(kept) & set(left_out))
        self.assertEqual(len(kept), len(others) + len(scenes) - 3)
        self.assertTrue(set(others) <= set(kept))


class SrBudget(unittest.TestCase):
    """The arithmetic of reports/sr_budget.py and the one-u option it motivated."""

    def setUp(self):
        sys.path.insert(0, os.path.join(TRAINING, "reports"))
        import sr_budget

        self.budget = sr_budget

    def test_loglinear_fit_recovers_a_line_in_log_samples_and_meets_the_floor(self):
        samples = [1e4, 3e4, 1e5, 4e5]
        a, b = self.budget.loglinear_fit(samples, [20 + 0.25 * math.log2(n) for n in samples])
        self.assertAlmostEqual(a, 20, places=9)
        self.assertAlmostEqual(b, 0.25, places=9)
        self.assertAlmostEqual(self.budget.samples_for(20 + 0.25 * 20, a, b), 2**20, delta=1e-3)
        self.assertIsNone(self.budget.samples_for(30, 25.0, -0.1))

    def test_linear_bound_scales_the_measured_gain(self):
        self.assertEqual(self.budget.linear_samples_to_close(1.0, 0.1, 1000), 10000)
        self.assertEqual(self.budget.linear_samples_to_close(-0.2, 0.1, 1000), 0.0)
        self.assertIsNone(self.budget.linear_samples_to_close(1.0, -0.01, 1000))

    def test_samples_seen_are_rate_times_elapsed(self):
        self.assertAlmostEqual(self.budget.samples_seen({"samples_per_s": 9.5, "elapsed": 600.0}), 5700.0)

    def test_fixed_blur_overrides_the_regime_mix(self):
        from train_sr import sample_blurs

        gen = torch.Generator().manual_seed(0)
        self.assertTrue(torch.equal(sample_blurs(5, "joint", gen, 2.6), torch.full((5,), 2.6)))
        mix = sample_blurs(400, "joint", gen)
        self.assertTrue(0.15 < (mix == 0).float().mean().item() < 0.35)
        self.assertTrue(bool((mix <= 3).all()))


class SrRecipe(unittest.TestCase):
    """The training recipe's knobs: one u per batch, the constant schedule, the held-out split."""

    def test_one_blur_per_batch_is_shared_and_w_gets_a_float(self):
        from train_sr import blur_operand, sample_blurs

        gen = torch.Generator().manual_seed(3)
        draws = [sample_blurs(8, "joint", gen, per="batch") for _ in range(200)]
        self.assertTrue(all(bool((u == u[0]).all()) for u in draws))
        firsts = torch.stack([u[0] for u in draws])
        self.assertTrue(0.15 < (firsts == 0).float().mean().item() < 0.35)
        self.assertIsInstance(blur_operand(draws[0]), float)
        mixed = torch.tensor([0.0, 1.3])
        self.assertIs(blur_operand(mixed), mixed)

    def test_constant_schedule_warms_up_then_holds_then_drops_for_the_final_share(self):
        from train_sr import learning_rate

        self.assertAlmostEqual(learning_rate(1e-3, 0.01, "constant"), 5e-4)
        self.assertEqual(learning_rate(1e-3, 0.5, "constant"), 1e-3)
        self.assertEqual(learning_rate(1e-3, 0.99, "constant"), 1e-3)
        self.assertAlmostEqual(learning_rate(1e-3, 0.9, "constant", 0.2, 0.1), 1e-4)
        self.assertLess(learning_rate(1e-3, 0.9, "cosine"), 1e-4)

    def test_heldout_split_takes_the_last_bsd400_images_only(self):
        from train_sr import split_heldout

        with tempfile.TemporaryDirectory() as tmp:
            folders = [os.path.join(tmp, "T91"), os.path.join(tmp, "BSD400")]
            for folder in folders:
                os.makedirs(folder)
                for i in range(5):
                    Image.new("RGB", (8, 8)).save(os.path.join(folder, f"{i}.png"))
            train, held = split_heldout(folders, 2)
            self.assertEqual([os.path.basename(f) for f in held], ["3.png", "4.png"])
            self.assertTrue(all("BSD400" in f for f in held))
            self.assertEqual(len(train), 8)
            self.assertFalse(set(train) & set(held))


class DeconvolutionSkip(unittest.TestCase):
    """The regularised inverse tried as h's global skip: W as matrices, and what CG buys over bicubic upsampling."""

    def test_axis_matrices_reproduce_the_degradation_per_sample(self):
        from deconv import operators

        x = torch.rand(3, 1, 30, 36, generator=torch.Generator().manual_seed(1))
        u = torch.tensor([0.0, 1.3, 2.6])
        a_h, a_w = operators((3, 1, 10, 12), 3, u, x.dtype, "cpu")
        matrices = (a_h @ x[:, 0] @ a_w.transpose(1, 2))[:, None]
        self.assertLess((matrices - sr_degrade(x, 3, u)).abs().max().item(), 1e-5)

    def test_deconvolution_is_closer_to_the_photo_than_bicubic_and_agrees_with_y(self):
        from deconv import tikhonov_upsample

        yy, xx = torch.meshgrid(torch.arange(64.0), torch.arange(64.0), indexing="ij")
        hr = (0.5 + 0.3 * torch.sin(xx / 3.0) * torch.cos(yy / 4.0))[None, None]
        for u in (0.0, 1.3):
            lr = sr_degrade(hr, 2, u)
            skip = tikhonov_upsample(lr, 2, u)
            bicubic = bicubic_up(lr, 2)
            self.assertLess((skip - hr).pow(2).mean(), 0.5 * (bicubic - hr).pow(2).mean())
            self.assertLess((sr_degrade(skip, 2, u) - lr).abs().max(), 0.02)

    def test_the_net_uses_the_skip_its_config_names(self):
        from sr_model import build_sr_net

        config = {"scale": 2, "depth": 3, "width": 8}
        lr = torch.rand(1, 1, 12, 12)
        self.assertEqual(build_sr_net(config).skip_kind, "bicubic")
        net = build_sr_net(dict(config, skip="deconv"))
        self.assertTrue(torch.equal(net.upsample(lr, 1.0), __import__("deconv").tikhonov_upsample(lr, 2, 1.0)))
        self.assertEqual(net.convs[0].in_channels, 3 + 4)  # y, u/3, flag and the skip's 2 x 2 phases
        other = lr + 0.1 * torch.rand(1, 1, 12, 12)
        self.assertFalse(torch.equal(net.g(lr, 1.0), net.g(lr, 1.0, net.upsample(other, 1.0))))


class Pipeline(unittest.TestCase):
    def test_train_resume_export(self):
        with tempfile.TemporaryDirectory() as tmp:
            data = os.path.join(tmp, "data")
            os.makedirs(data)
            rng = np.random.default_rng(1)
            for i in range(3):
                Image.fromarray((rng.random((64, 72, 3)) * 255).astype(np.uint8)).save(os.path.join(data, f"{i}.png"))
            run = os.path.join(tmp, "run")
            cmd = [sys.executable, os.path.join(TRAINING, "train_sr.py"), "--scale", "2", "--regime", "joint", "--run", run,
                   "--depth", "2", "--width", "4", "--batch", "2", "--patch", "8", "--data", data, "--val", data,
                   "--device", "cpu", "--threads", "1", "--val-every", "100"]
            subprocess.run(cmd + ["--budget", "1"], check=True, capture_output=True)
            first = torch.load(os.path.join(run, "checkpoint.pt"), weights_only=False)["state"]
            out = subprocess.run(cmd + ["--budget", "2"], check=True, capture_output=True, text=True).stdout
            self.assertIn("resumed", out)
            second = torch.load(os.path.join(run, "checkpoint.pt"), weights_only=False)["state"]
            self.assertGreater(second["step"], first["step"])
            dest = os.path.join(tmp, "models")
            subprocess.run([sys.executable, os.path.join(TRAINING, "export.py"), "--checkpoint", os.path.join(run, "checkpoint.pt"),
                            "--id", "sr-x2", "--name", "test", "--dest", dest], check=True, capture_output=True)
            meta = json.load(open(os.path.join(dest, "sr-x2", "model.json")))
            blob = open(os.path.join(dest, "sr-x2", "weights.bin"), "rb").read()
            import hashlib

            self.assertEqual(meta["weights"]["sha256"], hashlib.sha256(blob).hexdigest())
            self.assertEqual(len(blob), 4 * sum(int(np.prod(t["shape"])) for t in meta["tensors"]))
            self.assertEqual(meta["tensors"][0]["shape"], [3, 3, 3, 4])


if __name__ == "__main__":
    unittest.main()
