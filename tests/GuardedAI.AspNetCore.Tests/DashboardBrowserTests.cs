using Microsoft.Playwright;

namespace GuardedAI.AspNetCore.Tests;

/// <summary>
/// The dashboard in Debian's Chromium, driven by Playwright against the sample on 127.0.0.1: it shows the budgets and a
/// chart of the traffic this test made, follows more traffic without a reload, reads well on a phone, and no request
/// leaves 127.0.0.1. Screenshots are saved in the test output folder (artifacts/).
/// </summary>
public sealed class DashboardBrowserTests
{
    private const string Chromium = "/usr/bin/chromium";
    private static readonly float s_timeout = 15_000;

    [Fact]
    public async Task The_dashboard_shows_budgets_and_traffic_and_follows_new_traffic_live()
    {
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: run scripts/install-test-deps.sh (apt-get install chromium).");
        await using var server = await SampleServer.StartAsync();
        await server.TrafficAsync("alice", 3, conversation: "conv-a");
        await server.TrafficAsync("bob", 2);

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            // Root in CI cannot use Chromium's sandbox; the page is the test's own, on loopback.
            Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking", "--no-first-run"],
        });
        var context = await browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 900 } });
        var requested = new List<Uri>();
        var leaving = new List<Uri>();
        await context.RouteAsync("**/*", async route =>
        {
            var url = new Uri(route.Request.Url);
            lock (requested) requested.Add(url);
            if (url.Host == "127.0.0.1") await route.ContinueAsync();
            else
            {
                lock (leaving) leaving.Add(url);
                await route.AbortAsync();
            }
        });
        var page = await context.NewPageAsync();
        var errors = new List<string>();
        page.PageError += (_, error) => { lock (errors) errors.Add(error); };
        page.Console += (_, message) => { if (message.Type == "error") lock (errors) errors.Add($"{message.Text} (at {message.Location})"); };
        // Which request failed, with its status: Chromium's console line alone names neither.
        page.Response += (_, response) => { if (response.Status >= 400) lock (errors) errors.Add($"{response.Request.Method} {response.Url} answered {response.Status}"); };

        await page.GotoAsync(new Uri(server.Address, "/guardedai").ToString());

        // The budgets, with a bar per limit and its thresholds.
        await page.WaitForSelectorAsync("[data-budget='chat'] .limit[data-window='Hour'][data-used='5']", new() { Timeout = s_timeout });
        Assert.Equal(3, await page.Locator("[data-budget='chat'] .limit").CountAsync());
        Assert.Equal(9, await page.Locator("[data-budget='chat'] .limit .tick").CountAsync());
        Assert.Contains("600", await page.Locator("[data-budget='chat'] .limit[data-window='Hour']").InnerTextAsync());
        // The chart of the traffic: five calls in the current hour.
        await page.WaitForSelectorAsync("#chart[data-requests='5']", new() { Timeout = s_timeout });
        Assert.Equal(5, int.Parse(await page.Locator("#chart svg rect.bar").Last.GetAttributeAsync("data-requests") ?? "0"));
        Assert.Equal(24, await page.Locator("#chart svg rect.bar").CountAsync());
        Assert.Equal("alice", await page.Locator("#tenants tbody tr").First.GetAttributeAsync("data-key"));
        Assert.Equal("5 calls, " , (await page.Locator("#today-requests").InnerTextAsync())[..9]);
        await page.WaitForSelectorAsync("#live[data-state='live']", new() { Timeout = s_timeout });
        Directory.CreateDirectory(Artifacts);
        await page.ScreenshotAsync(new() { Path = Path.Combine(Artifacts, "dashboard.png"), FullPage = true });

        // More traffic: the page follows through the event stream, without a reload.
        await page.EvaluateAsync("() => { window.__sameDocument = 42; }");
        await server.TrafficAsync("bob", 2);
        await page.WaitForSelectorAsync("#chart[data-requests='7']", new() { Timeout = s_timeout });
        await page.WaitForSelectorAsync("[data-budget='chat'] .limit[data-window='Hour'][data-used='7']", new() { Timeout = s_timeout });
        Assert.Equal(42, await page.EvaluateAsync<int>("() => window.__sameDocument"));
        await page.ScreenshotAsync(new() { Path = Path.Combine(Artifacts, "dashboard-after-traffic.png"), FullPage = true });

        // A phone: one column, nothing wider than the screen.
        await page.SetViewportSizeAsync(390, 844);
        await page.WaitForFunctionAsync("() => document.documentElement.scrollWidth <= window.innerWidth", null, new() { Timeout = s_timeout });
        await page.ScreenshotAsync(new() { Path = Path.Combine(Artifacts, "dashboard-phone.png"), FullPage = true });

        Assert.True(new FileInfo(Path.Combine(Artifacts, "dashboard.png")).Length > 10_000);
        Assert.Empty(leaving);
        Assert.Contains(requested, u => u.AbsolutePath == "/guardedai/assets/dashboard.js");
        Assert.Contains(requested, u => u.AbsolutePath == "/guardedai/usage/timeline");
        Assert.All(requested, u => Assert.Equal("127.0.0.1", u.Host));
        lock (errors) Assert.True(errors.Count == 0, "The page logged errors: " + string.Join(" | ", errors));
    }

    private static string Artifacts => Path.Combine(AppContext.BaseDirectory, "artifacts");
}
