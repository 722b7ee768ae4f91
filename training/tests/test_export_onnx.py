"""export_onnx.py: g's ONNX parts are written from the exported tensors, recorded in model.json with
their sha256, and the PyTorch modules they are traced from compute exactly the trained network's g."""
import hashlib
import json
import os
import sys
import tempfile
import unittest

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
torch.set_num_threads(1)

from export import sr_tensors, write_model  # noqa: E402
from export_onnx import conv_stack_parts, read_tensors, write_onnx  # noqa: E402
from sr_model import SRNet  # noqa: E402


class ExportOnnxTest(unittest.TestCase):
    def test_sr_parts_match_g_and_model_json(self):
        torch.manual_seed(0)
        net = SRNet(2, depth=6, width=8, conditioned=True).eval()
        meta = {"name": "t", "task": "sr", "scale": 2, "backbone": {"type": "vdsr-lr", "depth": 6, "width": 8, "conditioned": True}}
        with tempfile.TemporaryDirectory() as tmp:
            folder = write_model(tmp, "sr-x2", meta, sr_tensors({k: v for k, v in net.state_dict().items()}, meta["backbone"]))
            entries = write_onnx(folder, log=lambda *_: None)
            self.assertEqual([e["file"] for e in entries], ["g.0.onnx", "g.1.onnx"])  # 4 + 2 layers
            written = json.load(open(os.path.join(folder, "model.json")))
            self.assertEqual(written["onnx"], entries)
            for e in entries:
                data = open(os.path.join(folder, e["file"]), "rb").read()
                self.assertEqual(hashlib.sha256(data).hexdigest(), e["sha256"])
                self.assertEqual(e["opset"], 13)
            self.assertEqual(entries[0]["inputs"][0]["shape"], ["n", "h", "w", 3])
            self.assertEqual(entries[0]["outputs"][0]["name"], entries[1]["inputs"][0]["name"])
            self.assertEqual(entries[1]["outputs"][0]["shape"], ["n", "h", "w", 8])
            # The traced modules, chained, are the trained g (NHWC in and out).
            m, tensors = read_tensors(folder)
            y = torch.rand(2, 1, 11, 13)
            a = net.inputs(y, torch.tensor([0.0, 1.3]))
            x = a.permute(0, 2, 3, 1)
            for module, _, _, _ in conv_stack_parts(m, tensors):
                x = module(x)
            with torch.no_grad():
                want = net.g(y, torch.tensor([0.0, 1.3])).permute(0, 2, 3, 1)
            self.assertLess((x - want).abs().max().item(), 1e-5)
            # Re-running gives the same bytes (the sha256 in model.json stays valid).
            again = write_onnx(folder, log=lambda *_: None)
            self.assertEqual([e["sha256"] for e in again], [e["sha256"] for e in entries])

    def test_backbone_without_converter_writes_nothing(self):
        meta = {"name": "t", "task": "sr", "scale": 2,
                "backbone": {"type": "drrn-lr", "recursions": 2, "width": 4, "fuseEvery": 1, "zWidth": 4, "conditioned": False}}
        with tempfile.TemporaryDirectory() as tmp:
            tensors = [("g.entry.kernel", torch.zeros(3, 3, 1, 4), "HWIO")]
            folder = write_model(tmp, "m", meta, tensors)
            self.assertEqual(write_onnx(folder, log=lambda *_: None), [])
            self.assertNotIn("onnx", json.load(open(os.path.join(folder, "model.json"))))


if __name__ == "__main__":
    unittest.main()
