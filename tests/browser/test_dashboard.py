"""The dashboard in a real browser: the article's L1 job from the form to its figure and
its slope, a refused alpha shown beside its field, an upload's preview, and keys."""

from __future__ import annotations

from pathlib import Path

from selenium import webdriver
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.select import Select
from selenium.webdriver.support.ui import WebDriverWait

from service.config import Settings
from service.migrate import upgrade_database
from tests.browser.conftest import new_browser
from tests.processes import Deployment, deployment
from tests.reference import L1_JOB as ARTICLE

DOCS = Path(__file__).resolve().parents[2] / "docs"


def wait(browser: webdriver.Chrome, seconds: float = 30) -> WebDriverWait[webdriver.Chrome]:
    """Asks again while what it looks for is missing or was just redrawn: the pages
    re-render as events arrive, so an element found a moment ago may be gone."""
    return WebDriverWait(
        browser,
        seconds,
        ignored_exceptions=(NoSuchElementException, StaleElementReferenceException),
    )


def fill_article_l1(browser: webdriver.Chrome, alpha: str) -> None:
    wait(browser).until(ec.presence_of_element_located((By.ID, "job-form")))
    Select(browser.find_element(By.ID, "dataset")).select_by_value("name:seed_linear")
    Select(browser.find_element(By.ID, "model")).select_by_value("linear_regression")
    browser.find_element(By.ID, "add-regularizer").click()
    Select(browser.find_element(By.ID, "regularizers.0.kind")).select_by_value("l1")
    browser.find_element(By.ID, "regularizers.0.alpha").send_keys(alpha)
    browser.find_element(By.ID, "split.test_fraction").send_keys("0")


def test_the_article_l1_job_from_the_form_to_its_figure(
    running: Deployment, browser: webdriver.Chrome
) -> None:
    browser.get(f"{running.base_url}/#/new")
    fill_article_l1(browser, "0.2")
    preview = browser.find_element(By.ID, "job-json").text
    assert '"alpha": 0.2' in preview and '"test_fraction": 0' in preview
    browser.find_element(By.ID, "submit-job").click()

    status = wait(browser).until(ec.presence_of_element_located((By.ID, "job-status")))
    assert "#/jobs/" in browser.current_url
    wait(browser, 60).until(
        lambda b: b.find_element(By.ID, "job-status").text == "succeeded"
    )  # no reload: the page polls
    assert status is not None
    figure = wait(browser, 60).until(
        lambda b: b.find_element(By.CSS_SELECTOR, 'img[data-name="fit_comparison.png"]')
    )
    wait(browser, 60).until(
        lambda b: b.execute_script(
            "return arguments[0].complete && arguments[0].naturalWidth", figure
        )
    )
    assert browser.execute_script("return arguments[0].naturalWidth", figure) > 0
    slope = browser.find_element(By.CSS_SELECTOR, "#coefficients tbody tr td").text
    assert slope == "0.575"
    wait(browser, 60).until(
        lambda b: b.execute_script(
            "return [...document.images].every((i) => i.complete && i.naturalWidth > 0)"
        )
    )
    DOCS.mkdir(exist_ok=True)
    browser.save_screenshot(str(DOCS / "dashboard-job.png"))


def test_a_refused_alpha_is_shown_beside_its_field(
    running: Deployment, browser: webdriver.Chrome
) -> None:
    before = len(running.client.get("/v1/jobs").json()["items"])
    browser.get(f"{running.base_url}/#/new")
    fill_article_l1(browser, "-1")
    browser.find_element(By.ID, "submit-job").click()
    error = wait(browser).until(
        lambda b: b.find_element(By.ID, "regularizers.0.alpha-error").text or None
    )
    assert "greater than 0" in error
    assert "#/new" in browser.current_url
    assert len(running.client.get("/v1/jobs").json()["items"]) == before


def test_an_uploaded_csv_shows_its_preview(
    running: Deployment, browser: webdriver.Chrome, tmp_path: Path
) -> None:
    table = tmp_path / "houses.csv"
    table.write_text("size,rooms,price\n" + "".join(f"{i},{i % 3},{3 * i}\n" for i in range(30)))
    browser.get(f"{running.base_url}/#/datasets")
    wait(browser).until(ec.presence_of_element_located((By.ID, "upload-form")))
    browser.find_element(By.ID, "upload-file").send_keys(str(table))
    browser.find_element(By.ID, "upload-target").send_keys("price")
    browser.find_element(By.ID, "upload-submit").click()
    preview = wait(browser).until(ec.presence_of_element_located((By.ID, "preview")))
    headers = [th.text for th in preview.find_elements(By.CSS_SELECTOR, "thead th")]
    assert headers == ["size", "rooms", "price"]
    first = [td.text for td in preview.find_elements(By.CSS_SELECTOR, "tbody tr:first-child td")]
    assert first == ["0", "0", "0"]


def test_a_network_s_learning_curve_grows_without_a_reload(
    running: Deployment, browser: webdriver.Chrome
) -> None:
    job = {
        "dataset": {"name": "digits"},
        "model": {"kind": "cnn"},
        "regularizers": [{"kind": "dropout", "rate": 0.5}],
        "training": {"epochs": 10, "batch_size": 8},
        "baseline": False,
    }
    job_id = running.client.post("/v1/jobs", json=job).json()["id"]
    browser.get(f"{running.base_url}/#/jobs/{job_id}")
    seen: list[int] = []

    def points(b: webdriver.Chrome) -> bool:
        value = b.execute_script(
            "const n = document.getElementById('learning-curve');"
            "return n && n.dataset.points ? Number(n.dataset.points) : 0"
        )
        if not seen or seen[-1] != value:
            seen.append(int(value))
        return value == 10

    wait(browser, 120).until(points)
    assert len([n for n in seen if 0 < n < 10]) >= 1, seen  # drawn while it trained
    assert browser.find_elements(By.CSS_SELECTOR, "#learning-curve canvas")


def test_keys_are_asked_once_and_scope_the_jobs(tmp_path: Path) -> None:
    keys = {"alice": "alice-key-0123456789", "bob": "bob-key-0123456789ab"}
    settings = Settings(data_dir=tmp_path / "data", api_keys=",".join(keys.values()))
    upgrade_database(settings)
    with deployment(settings, tmp_path) as d:
        bobs = d.client.post(
            "/v1/jobs", json=ARTICLE, headers={"Authorization": f"Bearer {keys['bob']}"}
        ).json()["id"]
        alices = d.client.post(
            "/v1/jobs", json=ARTICLE, headers={"Authorization": f"Bearer {keys['alice']}"}
        ).json()["id"]
        browser = new_browser()
        try:
            browser.get(f"{d.base_url}/#/jobs")
            dialog = wait(browser).until(
                lambda b: (
                    b.find_element(By.ID, "key-dialog").get_attribute("open") is not None
                    and b.find_element(By.ID, "key-dialog")
                )
            )
            assert dialog.is_displayed()
            browser.find_element(By.ID, "key-input").send_keys(keys["alice"])
            browser.find_element(By.CSS_SELECTOR, "#key-form button").click()
            wait(browser).until(
                lambda b: b.find_elements(By.CSS_SELECTOR, f'tr[data-job="{alices}"]')
            )
            assert not browser.find_elements(By.CSS_SELECTOR, f'tr[data-job="{bobs}"]')
            browser.refresh()  # kept for the tab: no second prompt
            wait(browser).until(
                lambda b: b.find_elements(By.CSS_SELECTOR, f'tr[data-job="{alices}"]')
            )
            assert browser.find_element(By.ID, "key-dialog").get_attribute("open") is None
        finally:
            browser.quit()


def button(browser: webdriver.Chrome, text: str) -> WebElement:
    found: list[WebElement] = wait(browser).until(
        lambda b: [x for x in b.find_elements(By.TAG_NAME, "button") if x.text == text]
    )
    return found[0]


def succeeded_article_job(running: Deployment) -> str:
    job_id: str = running.client.post("/v1/jobs", json=ARTICLE).json()["id"]
    assert running.wait_for_job(job_id)["status"] == "succeeded", running.logs()
    return job_id


def test_sweep_alpha_from_a_job_shows_its_validation_curve(
    running: Deployment, browser: webdriver.Chrome
) -> None:
    job_id = succeeded_article_job(running)
    browser.get(f"{running.base_url}/#/jobs/{job_id}")
    button(browser, "Sweep alpha").click()
    wait(browser, 120).until(lambda b: b.find_element(By.ID, "sweep-status").text == "succeeded")
    assert "#/sweeps/" in browser.current_url
    best = wait(browser).until(lambda b: b.find_element(By.ID, "sweep-best").text)
    assert "Best alpha" in best and "one standard error" in best
    curve = wait(browser, 60).until(
        lambda b: b.find_element(By.CSS_SELECTOR, 'img[data-name="validation_curve.png"]')
    )
    loaded = "return arguments[0].complete && arguments[0].naturalWidth"
    assert wait(browser, 60).until(lambda b: b.execute_script(loaded, curve)) > 0
    rows = browser.find_elements(By.CSS_SELECTOR, "#sweep-curve tbody tr")
    assert len(rows) == 20


def test_compare_penalties_from_a_job_shows_the_leaderboard(
    running: Deployment, browser: webdriver.Chrome
) -> None:
    job_id = succeeded_article_job(running)
    browser.get(f"{running.base_url}/#/jobs/{job_id}")
    wait(browser).until(
        lambda b: [
            x for x in b.find_elements(By.TAG_NAME, "button") if x.text.startswith("Compare")
        ]
    )[0].click()
    wait(browser, 120).until(lambda b: b.find_element(By.ID, "sweep-status").text == "succeeded")
    names = [th.text for th in browser.find_elements(By.CSS_SELECTOR, "#leaderboard tbody th")]
    assert sorted(names) == ["lasso", "none", "ridge"]
    assert browser.find_element(By.ID, "recommendation").text


def test_a_named_model_predicts_one_row_from_its_page(
    running: Deployment, browser: webdriver.Chrome
) -> None:
    job_id = succeeded_article_job(running)
    assert running.client.post("/v1/models", json={"name": "article-lasso"}).status_code == 201
    version = {"job_id": job_id}
    assert running.client.post("/v1/models/article-lasso/versions", json=version).is_success
    browser.get(f"{running.base_url}/#/models")
    wait(browser).until(lambda b: b.find_element(By.LINK_TEXT, "article-lasso")).click()
    body = wait(browser).until(lambda b: b.find_element(By.ID, "predict-input"))
    body.clear()
    body.send_keys('{"instances": [[0.5]]}')
    browser.find_element(By.ID, "predict-submit").click()
    answer = wait(browser).until(lambda b: b.find_element(By.ID, "predict-output").text or None)
    assert '"predictions"' in answer and '"job_id"' in answer


def test_readable_at_390_px(running: Deployment) -> None:
    job_id = succeeded_article_job(running)
    browser = new_browser(width=390, height=844)
    try:
        for page in ("#/jobs", f"#/jobs/{job_id}", "#/new", "#/datasets"):
            browser.get(f"{running.base_url}/{page}")
            wait(browser).until(lambda b: b.find_elements(By.CSS_SELECTOR, "main h1"))
            assert browser.execute_script("return window.innerWidth") == 390
            width = browser.execute_script("return document.documentElement.scrollWidth")
            assert width <= 390, (page, width)  # tables scroll inside their own box
    finally:
        browser.quit()


def test_every_form_field_has_a_label(running: Deployment, browser: webdriver.Chrome) -> None:
    browser.get(f"{running.base_url}/#/new")
    wait(browser).until(ec.presence_of_element_located((By.ID, "job-form")))
    browser.find_element(By.ID, "add-regularizer").click()
    unlabelled = browser.execute_script(
        "return [...document.querySelectorAll('#job-form input, #job-form select')]"
        ".filter((e) => !e.labels.length && !e.getAttribute('aria-label')).map((e) => e.id)"
    )
    assert unlabelled == []
    # The keyboard reaches the submit button.
    browser.find_element(By.ID, "dataset").send_keys(Keys.TAB)
    for _ in range(200):
        if browser.switch_to.active_element.get_attribute("id") == "submit-job":
            break
        browser.switch_to.active_element.send_keys(Keys.TAB)
    assert browser.switch_to.active_element.get_attribute("id") == "submit-job"
