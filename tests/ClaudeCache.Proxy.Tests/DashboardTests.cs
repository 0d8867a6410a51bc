using System.Globalization;
using ClaudeCache.Proxy.Tests.Infrastructure;
using Microsoft.Playwright;

namespace ClaudeCache.Proxy.Tests;

/// <summary>The dashboard in a real headless Chromium (the system's, driven by Playwright).</summary>
public sealed class DashboardTests
{
    [Fact]
    public async Task Dashboard_ShowsTheSameHitRatioAndSavingsAsTheAdminApi()
    {
        await using var proxy = await ProxyHost.StartAsync();
        foreach (var prompt in new[] { "Explain escrow", "Explain escrow", "Analyse 12 Oak Street", "Explain escrow", "Analyse 12 Oak Street" })
        {
            await Requests.SendAsync(proxy.Client, Requests.Body(prompt), ("x-cache-context", "explanation"));
        }

        var totals = await CostAccountingTests.StatsAsync(proxy, 5);

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath(),
            Headless = true,
            // This machine has no network beyond loopback: keep Chromium from reaching out.
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 1100 } });
        await page.GotoAsync(new Uri(proxy.BaseAddress, "dashboard#token=" + ProxyHost.AdminToken).ToString());
        await page.WaitForSelectorAsync("body[data-loaded='true']", new PageWaitForSelectorOptions { Timeout = 15_000 });

        var hitRatio = await page.GetAttributeAsync("#hit-ratio", "data-value");
        var hitRatioText = await page.InnerTextAsync("#hit-ratio");
        var savings = await page.GetAttributeAsync("#savings-usd", "data-value");
        var savingsText = await page.InnerTextAsync("#savings-usd");
        var contextTable = await page.InnerTextAsync("#by-context");
        var screenshot = Path.Combine(AppContext.BaseDirectory, "dashboard.png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = screenshot, FullPage = true });
        TestContext.Current.AddAttachment("dashboard.png", await File.ReadAllBytesAsync(screenshot), "image/png");

        var expectedRatio = totals.GetProperty("hitRatio").GetDouble();
        var expectedSavings = totals.GetProperty("savingsUsd").GetDecimal();
        Assert.Equal(0.6, expectedRatio);
        Assert.Equal(expectedRatio, double.Parse(hitRatio!, CultureInfo.InvariantCulture));
        Assert.Equal((expectedRatio * 100).ToString("0.0", CultureInfo.InvariantCulture) + "%", hitRatioText);
        Assert.Equal(expectedSavings, decimal.Parse(savings!, CultureInfo.InvariantCulture));
        var format = expectedSavings is > 0m and < 1m ? "N4" : "N2";
        Assert.Equal("$" + expectedSavings.ToString(format, CultureInfo.GetCultureInfo("en-US")), savingsText);
        Assert.Contains("explanation", contextTable, StringComparison.Ordinal);
        Assert.True(new FileInfo(screenshot).Length > 10_000, "the screenshot shows a rendered page");
    }

    [Fact]
    public async Task Dashboard_ShowsThePromptCacheSavingOfTheAdminApi_NegativeWhenAWriteIsNeverRead()
    {
        await using var proxy = await ProxyHost.StartAsync();
        // One prompt the proxy marks and nobody repeats: its write is a loss, and the dashboard says so.
        await PromptCacheAccountingTests.CallAsync(proxy, Requests.Body("Analyse 12 Oak Street", system: PromptCacheAccountingTests.SharedSystem),
            (PromptCacheAccountingTests.Breakpoints, "always"), ("x-cache-context", "one-off"));
        var totals = await CostAccountingTests.StatsAsync(proxy, 1);

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath(),
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
        var page = await browser.NewPageAsync();
        await page.GotoAsync(new Uri(proxy.BaseAddress, "dashboard#token=" + ProxyHost.AdminToken).ToString());
        await page.WaitForSelectorAsync("body[data-loaded='true']", new PageWaitForSelectorOptions { Timeout = 15_000 });

        var saved = await page.GetAttributeAsync("#prompt-cache-saved-usd", "data-value");
        var savedText = await page.InnerTextAsync("#prompt-cache-saved-usd");
        var savedClass = await page.GetAttributeAsync("#prompt-cache-saved-usd", "class");
        var calls = await page.InnerTextAsync("#prompt-cache-calls");
        var contextCell = await page.GetAttributeAsync("#by-context td[data-value]", "data-value");

        var expected = totals.GetProperty("promptCacheSavedUsd").GetDecimal();
        Assert.True(expected is < 0m and > -1m, $"an unread write is a small loss, not {expected}");
        Assert.Equal(expected, decimal.Parse(saved!, CultureInfo.InvariantCulture));
        Assert.Equal("-$" + (-expected).ToString("N4", CultureInfo.GetCultureInfo("en-US")), savedText);
        Assert.Contains("bad", savedClass, StringComparison.Ordinal);
        Assert.Equal("1", calls);
        Assert.Equal(expected, decimal.Parse(contextCell!, CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task Dashboard_WithAWrongToken_AsksForOne()
    {
        await using var proxy = await ProxyHost.StartAsync();
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath(),
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"],
        });
        var page = await browser.NewPageAsync();

        await page.GotoAsync(new Uri(proxy.BaseAddress, "dashboard#token=not-the-token&refresh=100").ToString());
        await page.WaitForSelectorAsync("#login", new PageWaitForSelectorOptions { State = WaitForSelectorState.Visible, Timeout = 15_000 });
        // Three more refreshes after the refusal: the message must survive them, and the status must not say loading.
        await page.WaitForFunctionAsync("() => Number(document.body.dataset.refreshes) >= 4", null, new PageWaitForFunctionOptions { Timeout = 15_000 });

        Assert.Contains("refused", await page.InnerTextAsync("#login-error"), StringComparison.Ordinal);
        Assert.Equal("waiting for an admin token", await page.InnerTextAsync("#status"));
    }

    [Fact]
    public async Task Dashboard_OnAFreshInstall_ChartsMinutesNotOneDot()
    {
        await using var proxy = await ProxyHost.StartAsync();
        for (var minute = 0; minute < 5; minute++)
        {
            await Requests.SendAsync(proxy.Client, Requests.Body($"Explain escrow {minute}"));

            // The ledger stamps a miss when its flight is judged, just after the caller has its answer: settle first,
            // so each request is filed in its own minute.
            await proxy.SettleAsync();
            proxy.Clock.Advance(TimeSpan.FromMinutes(1));
        }

        await CostAccountingTests.StatsAsync(proxy, 5);
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath(),
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"],
        });
        var page = await browser.NewPageAsync();
        await page.GotoAsync(new Uri(proxy.BaseAddress, "dashboard#token=" + ProxyHost.AdminToken).ToString());
        await page.WaitForSelectorAsync("body[data-loaded='true']", new PageWaitForSelectorOptions { Timeout = 15_000 });

        // The window is 24 h, but the data spans five minutes: one point a minute, not one for the whole day.
        var points = await page.EvaluateAsync<int>("() => Chart.getChart('hit-chart').data.labels.length");
        Assert.Equal(5, points);
    }

    private static string ChromiumPath() =>
        new[] { "/usr/bin/chromium", "/usr/bin/chromium-browser" }.FirstOrDefault(File.Exists)
        ?? throw new InvalidOperationException("Chromium is not installed: run ./test.sh, which installs it.");
}
