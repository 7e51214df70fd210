"""Second-model measurement helpers of evaluation/face_fusion.py: ArcFace-template alignment, the
5 points taken from dlib's 68 or MediaPipe's mesh, model input preprocessing, and the ONNX loader
(on a tiny model built here when the onnx package is installed; nothing is downloaded)."""
from __future__ import annotations

import math

import numpy as np
import pytest

from identity_app.evaluation import face_fusion as fusion


def _similar(points: np.ndarray, angle: float, scale: float, shift: tuple[float, float]) -> np.ndarray:
    c, s = math.cos(angle), math.sin(angle)
    r = np.array([[c, -s], [s, c]])
    return scale * points @ r.T + np.array(shift)


def test_the_similarity_found_maps_the_points_back_onto_the_template() -> None:
    face = _similar(fusion.ARCFACE_112, angle=0.3, scale=2.7, shift=(140.0, 55.0))
    m = fusion.similarity(face, fusion.ARCFACE_112)
    back = face @ m[:, :2].T + m[:, 2]
    assert np.allclose(back, fusion.ARCFACE_112, atol=1e-9)
    # A reflection is never chosen: the determinant of the linear part stays positive.
    assert np.linalg.det(m[:, :2]) > 0


def test_the_similarity_is_the_least_squares_fit_when_the_points_are_noisy() -> None:
    rng = np.random.default_rng(3)
    face = _similar(fusion.ARCFACE_112, angle=-0.2, scale=1.5, shift=(20.0, 30.0)) + rng.normal(0, 1.5, (5, 2))
    m = fusion.similarity(face, fusion.ARCFACE_112)
    err = np.sum((face @ m[:, :2].T + m[:, 2] - fusion.ARCFACE_112) ** 2)
    for da in (-0.01, 0.01):  # a slightly different rotation fits worse
        c, s = math.cos(da), math.sin(da)
        r = np.array([[c, -s], [s, c]]) @ m[:, :2]
        t = fusion.ARCFACE_112.mean(0) - face.mean(0) @ r.T
        assert np.sum((face @ r.T + t - fusion.ARCFACE_112) ** 2) > err


def test_align_puts_the_marked_points_where_the_template_has_them() -> None:
    face = _similar(fusion.ARCFACE_112, angle=0.25, scale=2.0, shift=(60.0, 10.0))
    image = np.zeros((400, 400, 3), np.uint8)
    for i, (x, y) in enumerate(face):  # a bright 3 x 3 dot at each point, one colour channel each
        image[int(round(y)) - 1:int(round(y)) + 2, int(round(x)) - 1:int(round(x)) + 2] = (50 * (i + 1), 0, 255)
    crop = fusion.align(image, face)
    assert crop.shape == (112, 112, 3)
    for i, (x, y) in enumerate(fusion.ARCFACE_112):
        window = crop[int(y) - 2:int(y) + 4, int(x) - 2:int(x) + 4, 2]
        assert window.max() > 100, f"point {i} is not at the template's place"
    wide = fusion.align(image, face, size=224, zoom=0.5)
    assert wide.shape == (224, 224, 3)
    centre = (fusion.ARCFACE_112[0] - 56) * 0.5 * 2 + 112  # the left eye, half as far from the centre
    assert wide[int(centre[1]) - 2:int(centre[1]) + 4, int(centre[0]) - 2:int(centre[0]) + 4, 2].max() > 100


def test_the_five_points_of_dlibs_68_are_eye_centres_nose_tip_and_mouth_corners() -> None:
    p = np.zeros((68, 2))
    p[36:42] = (10.0, 20.0)
    p[36] = (4.0, 20.0)
    p[39] = (16.0, 20.0)
    p[42:48] = (50.0, 21.0)
    p[30] = (30.0, 40.0)
    p[48] = (15.0, 60.0)
    p[54] = (45.0, 61.0)
    got = fusion.points5_from_68(p)
    assert np.allclose(got, [[10.0, 20.0], [50.0, 21.0], [30.0, 40.0], [15.0, 60.0], [45.0, 61.0]])


def test_the_five_points_of_the_mesh_are_taken_from_its_eye_corners_nose_tip_and_mouth_corners() -> None:
    p = np.zeros((478, 3))
    p[33], p[133] = (0.0, 10.0, 1.0), (20.0, 12.0, 1.0)
    p[362], p[263] = (40.0, 10.0, 1.0), (60.0, 10.0, 1.0)
    p[1] = (30.0, 30.0, -5.0)
    p[61], p[291] = (15.0, 50.0, 0.0), (45.0, 50.0, 0.0)
    got = fusion.points5_from_mesh(p)
    assert np.allclose(got, [[10.0, 11.0], [50.0, 10.0], [30.0, 30.0], [15.0, 50.0], [45.0, 50.0]])


def test_preprocess_scales_reorders_channels_and_lays_out_as_asked() -> None:
    crops = np.zeros((2, 4, 4, 3), np.uint8)
    crops[..., 0], crops[..., 2] = 255, 0
    x = fusion.preprocess(crops, mean=127.5, std=127.5, layout="nchw")
    assert x.shape == (2, 3, 4, 4) and x.dtype == np.float32
    assert np.allclose(x[:, 0], 1.0) and np.allclose(x[:, 2], -1.0)
    y = fusion.preprocess(crops, mean=127.5, std=127.5, bgr=True, layout="nhwc")
    assert y.shape == (2, 4, 4, 3)
    assert np.allclose(y[..., 0], -1.0) and np.allclose(y[..., 2], 1.0)


def _tiny_model(path: str, batch: int | str) -> None:
    """An ONNX 'embedding': the per-channel mean of a 1 x 3 x 8 x 8 input, flattened to 3 numbers."""
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper

    x = helper.make_tensor_value_info("input", TensorProto.FLOAT, [batch, 3, 8, 8])
    y = helper.make_tensor_value_info("output", TensorProto.FLOAT, [batch, 3])
    mean = helper.make_node("GlobalAveragePool", ["input"], ["pooled"])
    flat = helper.make_node("Flatten", ["pooled"], ["output"], axis=1)
    graph = helper.make_graph([mean, flat], "tiny", [x], [y])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.save(model, path)


@pytest.mark.parametrize("batch", [1, "N"])
def test_the_onnx_loader_embeds_each_crop_and_its_mirror_image(tmp_path, batch) -> None:
    model = str(tmp_path / "tiny.onnx")
    _tiny_model(model, batch)
    net = fusion.OnnxEmbedder(model)
    assert net.layout == "nchw" and net.size == 8 and net.fixed_batch == (batch == 1)
    rng = np.random.default_rng(0)
    crops = rng.integers(0, 256, (3, 8, 8, 3), dtype=np.uint8)
    x = fusion.preprocess(crops, mean=0.0, std=1.0)
    assert np.allclose(net(x), crops.reshape(3, -1, 3).mean(1), atol=1e-4)
    # embed_onnx resizes other crops to the model's size and embeds the mirror image too.
    chips = tmp_path / "chips.npz"
    big = np.repeat(np.repeat(crops, 2, axis=1), 2, axis=2)  # 16 x 16: resized back to 8 x 8
    np.savez(chips, arcface68=big)
    out = tmp_path / "second.npz"
    ms = fusion.embed_onnx(str(chips), model, str(out), mean=0.0, std=1.0)
    z = np.load(out)
    assert z["emb"].shape == (3, 3) and z["emb_flip"].shape == (3, 3) and ms >= 0
    assert np.allclose(z["emb"], crops.reshape(3, -1, 3).mean(1), atol=1e-3)
    assert np.allclose(z["emb_flip"], z["emb"], atol=1e-3)  # a mirror image keeps each channel's mean
