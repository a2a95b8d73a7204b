"""The real `fieldapp serve` under load: held-open connections, bursts of requests."""
import http.client
import os
import signal
import socket
import time

from tests.support.factories import VOL_PIN, household

PULL = ("GET /api/v1/records?since=0&limit=500 HTTP/1.1\r\nHost: fieldapp.lan\r\n"
        "Authorization: Bearer {token}\r\nConnection: close\r\n\r\n")


def healthz(server, timeout):
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=timeout)
    try:
        connection.request("GET", "/healthz")
        return connection.getresponse().status
    finally:
        connection.close()


def answer_of(sock):
    """The whole answer on a connection the server closes after answering."""
    chunks = []
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def test_a_new_client_gets_healthz_while_110_idle_connections_are_held_open(live_server):
    idle = [socket.create_connection(("127.0.0.1", live_server.port), timeout=5)
            for _ in range(110)]
    try:
        started = time.monotonic()
        assert healthz(live_server, timeout=10) == 200
        assert time.monotonic() - started < 2          # the bound
    finally:
        for sock in idle:
            sock.close()


def test_a_burst_of_queued_requests_prints_one_busy_line_not_one_per_request(live_server):
    token = live_server.login("minh", VOL_PIN)
    homes = [household(f"Hộ {n}", author="minh") for n in range(500)]
    status, _ = live_server.request("POST", "/api/v1/records", {"records": homes}, token)
    assert status == 200
    pull = PULL.format(token=token).encode()     # 500 records an answer: not done at once
    burst = [socket.create_connection(("127.0.0.1", live_server.port), timeout=20)
             for _ in range(60)]
    try:
        assert healthz(live_server, timeout=10) == 200      # every socket above is accepted
        # stopped, the server cannot answer; resumed, it finds 60 requests at once and
        # queues what its threads cannot take
        os.kill(live_server.process.pid, signal.SIGSTOP)
        try:
            for sock in burst:
                sock.sendall(pull)
        finally:
            os.kill(live_server.process.pid, signal.SIGCONT)
        answers = [answer_of(sock) for sock in burst]
    finally:
        for sock in burst:
            sock.close()
    assert all(answer.startswith(b"HTTP/1.1 200") for answer in answers)
    lines = live_server.output().splitlines()
    assert [line for line in lines if "Task queue depth" in line] == []
    assert len([line for line in lines if "xếp hàng chờ" in line]) == 1, lines
    assert lines[0].startswith("fieldapp đang chạy: http://127.0.0.1:")
