import pytest

from labgate.hub.proxy import target_for_chp, target_for_hub

SOCKET = "http+unix://%2Fvar%2Flib%2Flabgate%2Frun%2Fws200000%2Fserver.sock"


@pytest.mark.parametrize(
    ("hub_form", "chp_form"),
    [
        (SOCKET + ":80", SOCKET),
        ("http://127.0.0.1:8081", "http://127.0.0.1:8081"),
        ("http://127.0.0.1:80", "http://127.0.0.1:80"),
    ],
)
def test_socket_targets_lose_the_unused_port_for_the_proxy_and_regain_it_for_the_hub(
    hub_form: str, chp_form: str
) -> None:
    assert target_for_chp(hub_form) == chp_form
    assert target_for_hub(chp_form) == hub_form
