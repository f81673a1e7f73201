"""Device setup: validated choices, and a record of what was set up."""

import pytest

from harness import environment
from harness.devices import DeviceConfig, configure
from harness.errors import HarnessError


@pytest.mark.parametrize("device", ["tpu", "gpu:x", "cpu:0", "gpu:"])
def test_unknown_devices_are_refused(device):
    with pytest.raises(HarnessError, match="--device takes auto, cpu, gpu or gpu:N"):
        DeviceConfig(device=device)


def test_configure_records_what_it_set_up():
    import tensorflow as tf

    setup = configure(DeviceConfig(device="cpu"))
    assert setup["used"] == "CPU"
    assert setup["precision_policy"] == "float32"
    assert setup["gpus_found"] == len(tf.config.list_physical_devices("GPU"))


def test_mixed_precision_is_a_policy():
    import keras

    try:
        assert configure(DeviceConfig(device="cpu", mixed_precision=True))["precision_policy"] == (
            "mixed_float16"
        )
    finally:
        keras.mixed_precision.set_global_policy("float32")


def test_asking_for_a_missing_gpu_is_a_clear_error():
    import tensorflow as tf

    if tf.config.list_physical_devices("GPU"):
        pytest.skip("this machine has a GPU")
    with pytest.raises(HarnessError, match="finds no GPU"):
        configure(DeviceConfig(device="gpu"))


def test_environment_names_versions_and_host():
    versions = environment.versions()
    assert versions["tensorflow"] and versions["keras"] and versions["python"]
    host = environment.host()
    assert host["cores"] >= 1 and host["memory_gb"] > 0 and host["cpu"]
