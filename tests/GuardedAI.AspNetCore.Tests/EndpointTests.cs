using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;

namespace GuardedAI.AspNetCore.Tests;

/// <summary>Every JSON endpoint of MapGuardedAI, read after traffic the test made through the sample's chat API.</summary>
public sealed class EndpointTests
{
    [Fact]
    public async Task Every_json_endpoint_reports_the_traffic()
    {
        await using var server = await SampleServer.StartAsync();
        await server.TrafficAsync("alice", 3, conversation: "conv-a");
        await server.TrafficAsync("bob", 2);
        server.Clock.Advance(TimeSpan.FromMinutes(30));
        await server.TrafficAsync("alice", 1);
        // A denial: the chat breaker opened by hand.
        server.Engine.Breakers.Get("chat").Trip("load test", TimeSpan.FromMinutes(1));
        using (var denied = await server.ChatAsync("bob")) Assert.Equal(HttpStatusCode.TooManyRequests, denied.StatusCode);
        await server.Engine.FlushAlertsAsync();
        await server.FlushLedgerAsync(); // a denial is recorded off the call path
        server.Clock.Advance(TimeSpan.FromSeconds(1)); // reports cover [from, now): the last call is a second old

        var status = await server.GetJsonAsync("/guardedai/status");
        Assert.Equal("Degraded", status.GetProperty("status").GetString()); // the breaker is open
        Assert.Equal(1, status.GetProperty("openBreakers").GetInt32());
        Assert.Equal(7, status.GetProperty("ledger").GetProperty("records").GetInt64());
        Assert.Equal(server.LedgerPath, status.GetProperty("ledger").GetProperty("location").GetString());

        var summary = await server.GetJsonAsync("/guardedai/summary");
        var today = summary.GetProperty("today").GetProperty("totals");
        Assert.Equal(7, today.GetProperty("requests").GetInt64());
        Assert.Equal(6, today.GetProperty("succeeded").GetInt64());
        Assert.Equal(1, today.GetProperty("denied").GetInt64());
        Assert.True(today.GetProperty("costUsd").GetDecimal() > 0);
        Assert.Equal(today.GetProperty("costUsd").GetDecimal(), summary.GetProperty("month").GetProperty("totals").GetProperty("costUsd").GetDecimal());

        var limits = await server.GetJsonAsync("/guardedai/limits");
        var chat = limits.GetProperty("budgets").EnumerateArray().Single(b => b.GetProperty("budget").GetString() == "chat");
        Assert.Equal("Open", chat.GetProperty("breaker").GetProperty("state").GetString());
        Assert.Equal(95, chat.GetProperty("thresholds").GetProperty("trip").GetDouble());
        var hourly = chat.GetProperty("limits").EnumerateArray().Single(l => l.GetProperty("window").GetString() == "Hour");
        Assert.Equal(6m, hourly.GetProperty("used").GetDecimal());
        Assert.Equal(600m, hourly.GetProperty("limit").GetDecimal());
        Assert.Equal(1.0, hourly.GetProperty("percent").GetDouble());

        var tenants = await server.GetJsonAsync("/guardedai/usage/tenants");
        var groups = tenants.GetProperty("groups").EnumerateArray().ToDictionary(g => g.GetProperty("key").GetString()!);
        Assert.Equal(4, groups["alice"].GetProperty("totals").GetProperty("requests").GetInt64());
        Assert.Equal(3, groups["bob"].GetProperty("totals").GetProperty("requests").GetInt64());
        Assert.Equal(1, groups["bob"].GetProperty("totals").GetProperty("denied").GetInt64());
        var aliceHourly = groups["alice"].GetProperty("limits").EnumerateArray().Single(l => l.GetProperty("window").GetString() == "Hour");
        Assert.Equal(4m, aliceHourly.GetProperty("used").GetDecimal());
        Assert.Equal(20m, aliceHourly.GetProperty("limit").GetDecimal());

        var models = await server.GetJsonAsync("/guardedai/usage/models?period=month");
        Assert.Equal("gpt-4o-mini", models.GetProperty("groups")[0].GetProperty("key").GetString());
        Assert.Equal(7, models.GetProperty("groups")[0].GetProperty("totals").GetProperty("requests").GetInt64());

        var conversations = await server.GetJsonAsync("/guardedai/usage/conversations");
        Assert.Equal("conv-a", conversations.GetProperty("groups").EnumerateArray().Single().GetProperty("key").GetString());

        var hours = await server.GetJsonAsync("/guardedai/usage/timeline?bucket=hour");
        var points = hours.GetProperty("points").EnumerateArray().ToList();
        Assert.Equal(24, points.Count);
        Assert.Equal(SampleServer.Start, points[^1].GetProperty("start").GetDateTimeOffset());
        Assert.Equal(7, points[^1].GetProperty("requests").GetInt64());
        Assert.Equal(1, points[^1].GetProperty("denied").GetInt64());
        Assert.All(points.SkipLast(1), p => Assert.Equal(0, p.GetProperty("requests").GetInt64()));
        var days = await server.GetJsonAsync("/guardedai/usage/timeline?bucket=day");
        Assert.Equal(30, days.GetProperty("points").GetArrayLength());
        Assert.Equal(7, days.GetProperty("points")[29].GetProperty("requests").GetInt64());

        var forecast = await server.GetJsonAsync("/guardedai/forecast");
        var chatForecast = forecast.GetProperty("budgets").EnumerateArray().Single(b => b.GetProperty("budget").GetString() == "chat");
        Assert.True(chatForecast.GetProperty("projectedMonthEndCostUsd").GetDecimal() >= chatForecast.GetProperty("monthToDateCostUsd").GetDecimal());
        Assert.Equal(6m, chatForecast.GetProperty("monthToDateRequests").GetDecimal());

        var denials = await server.GetJsonAsync("/guardedai/denials");
        var denial = denials.GetProperty("denials").EnumerateArray().Single();
        Assert.Equal("bob", denial.GetProperty("tenant").GetString());
        Assert.Contains("breaker", denial.GetProperty("reason").GetString());

        var alerts = await server.GetJsonAsync("/guardedai/alerts");
        Assert.Contains(alerts.GetProperty("alerts").EnumerateArray(), a => a.GetProperty("level").GetString() == "BreakerOpened" && a.GetProperty("scope").GetString() == "chat");

        var breakers = await server.GetJsonAsync("/guardedai/breakers");
        var breaker = breakers.GetProperty("breakers").EnumerateArray().Single(b => b.GetProperty("scope").GetString() == "chat");
        Assert.Equal("load test", breaker.GetProperty("reason").GetString());
    }

    [Theory]
    [InlineData("/guardedai/usage/tenants?period=year", "period must be 'day' or 'month'")]
    [InlineData("/guardedai/usage/models?top=0", "top must be between 1 and 100")]
    [InlineData("/guardedai/usage/timeline?bucket=week", "bucket must be 'hour'")]
    [InlineData("/guardedai/alerts?count=100000", "count must be between 1 and 200")]
    public async Task A_bad_query_is_a_400_naming_what_was_wrong(string path, string message)
    {
        await using var server = await SampleServer.StartAsync();
        using var response = await server.Client.GetAsync(path);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(message, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Health_is_200_when_healthy_or_degraded_and_503_when_the_store_is_down()
    {
        await using var server = await SampleServer.StartAsync();
        using (var healthy = await server.Client.GetAsync("/guardedai/health"))
        {
            Assert.Equal(HttpStatusCode.OK, healthy.StatusCode);
            Assert.Contains("\"status\":\"Healthy\"", await healthy.Content.ReadAsStringAsync());
        }

        server.Engine.Breakers.EmergencyStopAll("incident");
        using (var degraded = await server.Client.GetAsync("/guardedai/health"))
        {
            Assert.Equal(HttpStatusCode.OK, degraded.StatusCode);
            Assert.Contains("\"status\":\"Degraded\"", await degraded.Content.ReadAsStringAsync());
        }
        server.Engine.Breakers.ResetAll();

        // The engine reports a store outage as an alert; the dashboard sink is one of its sinks.
        var sink = server.App.Services.GetRequiredService<RecentAlerts>();
        await sink.SendAsync(new BudgetAlert(AlertLevel.StoreUnavailable, "store", null, null, 0, 0, 0, "Redis is unreachable.", server.Clock.GetUtcNow()), default);
        using (var unhealthy = await server.Client.GetAsync("/guardedai/health"))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, unhealthy.StatusCode);
            Assert.Contains("Redis is unreachable.", await unhealthy.Content.ReadAsStringAsync());
        }
        await sink.SendAsync(new BudgetAlert(AlertLevel.StoreRecovered, "store", null, null, 0, 0, 0, "Redis is back.", server.Clock.GetUtcNow()), default);
        using var recovered = await server.Client.GetAsync("/guardedai/health");
        Assert.Equal(HttpStatusCode.OK, recovered.StatusCode);
    }

    [Fact]
    public async Task Breaker_actions_trip_and_reset_and_refuse_what_a_cross_site_page_could_send()
    {
        await using var server = await SampleServer.StartAsync();

        using (var trip = await Post(server, "/guardedai/breakers/chat/trip", """{"reason":"provider incident","minutes":10}"""))
        {
            Assert.Equal(HttpStatusCode.OK, trip.StatusCode);
            Assert.Contains("\"state\":\"Open\"", await trip.Content.ReadAsStringAsync());
        }
        using (var denied = await server.ChatAsync("alice")) Assert.Equal(HttpStatusCode.TooManyRequests, denied.StatusCode);
        using (var reset = await Post(server, "/guardedai/breakers/chat/reset", """{"reason":"fixed"}""")) Assert.Equal(HttpStatusCode.OK, reset.StatusCode);
        using (var allowed = await server.ChatAsync("alice")) Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);

        using (var stop = await Post(server, "/guardedai/breakers/emergency-stop", """{"reason":"runaway agent"}""")) Assert.Equal(HttpStatusCode.OK, stop.StatusCode);
        Assert.Equal("runaway agent", server.Engine.Breakers.GlobalStopReason);
        using (var resetAll = await Post(server, "/guardedai/breakers/reset-all", "{}")) Assert.Equal(HttpStatusCode.OK, resetAll.StatusCode);
        Assert.Null(server.Engine.Breakers.GlobalStopReason);

        using (var unknown = await Post(server, "/guardedai/breakers/nope/trip", """{"reason":"x","minutes":1}""")) Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.DoesNotContain(server.Engine.Breakers.All, b => b.Scope == "nope");
        using (var noReason = await Post(server, "/guardedai/breakers/chat/trip", """{"minutes":1}""")) Assert.Equal(HttpStatusCode.BadRequest, noReason.StatusCode);
        using (var tooLong = await Post(server, "/guardedai/breakers/chat/trip", """{"reason":"x","minutes":100000}""")) Assert.Equal(HttpStatusCode.BadRequest, tooLong.StatusCode);
        using (var form = await server.Client.PostAsync("/guardedai/breakers/emergency-stop", new FormUrlEncodedContent([new("reason", "csrf")])))
        {
            Assert.Equal(HttpStatusCode.UnsupportedMediaType, form.StatusCode);
        }
        using (var crossSite = await Post(server, "/guardedai/breakers/emergency-stop", """{"reason":"csrf"}""", origin: "https://evil.example"))
        {
            Assert.Equal(HttpStatusCode.Forbidden, crossSite.StatusCode);
        }
        Assert.Null(server.Engine.Breakers.GlobalStopReason);
    }

    [Theory]
    [InlineData("/guardedai/status")]
    [InlineData("/guardedai/limits")]
    [InlineData("/guardedai/")]
    [InlineData("/guardedai/events")]
    public async Task A_request_naming_another_host_is_refused(string path)
    {
        await using var server = await SampleServer.StartAsync();
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Host = "dashboard.evil.example"; // DNS rebinding: another site's name resolving to 127.0.0.1
        using var response = await server.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("callers on this machine only", await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("10.0.0.5", "127.0.0.1", false)]
    [InlineData("192.168.1.20", "localhost", false)]
    [InlineData("127.0.0.1", "localhost", true)]
    [InlineData("::1", "[::1]", true)]
    [InlineData("::ffff:127.0.0.1", "127.0.0.1", true)]
    [InlineData("127.0.0.1", "example.com", false)]
    public void Only_loopback_callers_naming_a_loopback_host_are_local(string remote, string host, bool local)
    {
        var context = new Microsoft.AspNetCore.Http.DefaultHttpContext();
        context.Connection.RemoteIpAddress = IPAddress.Parse(remote);
        context.Request.Host = new Microsoft.AspNetCore.Http.HostString(host);
        Assert.Equal(local, LocalCallersOnlyFilter.IsLocal(context));
    }

    [Fact]
    public async Task The_openapi_document_describes_the_endpoints()
    {
        await using var server = await SampleServer.StartAsync();
        var document = await server.GetJsonAsync("/openapi/v1.json");
        var paths = document.GetProperty("paths");
        foreach (var path in new[] { "/guardedai/status", "/guardedai/summary", "/guardedai/limits", "/guardedai/alerts", "/guardedai/denials",
            "/guardedai/usage/tenants", "/guardedai/usage/models", "/guardedai/usage/conversations", "/guardedai/usage/timeline",
            "/guardedai/forecast", "/guardedai/breakers", "/guardedai/breakers/{scope}/trip", "/guardedai/health", "/chat", "/chat/stream" })
        {
            Assert.True(paths.TryGetProperty(path, out _), $"The OpenAPI document has no {path}: {string.Join(", ", paths.EnumerateObject().Select(p => p.Name))}");
        }
        var limits = paths.GetProperty("/guardedai/limits").GetProperty("get").GetProperty("responses").GetProperty("200").ToString();
        Assert.Contains("application/json", limits);
        var chat = paths.GetProperty("/chat").GetProperty("post").GetProperty("responses");
        Assert.True(chat.TryGetProperty("429", out _), "The chat endpoint's 429 is described.");
    }

    [Fact]
    public async Task The_event_stream_sends_an_update_at_once_and_after_each_call()
    {
        await using var server = await SampleServer.StartAsync();
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        using var response = await server.Client.GetAsync("/guardedai/events", HttpCompletionOption.ResponseHeadersRead, cancel.Token);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancel.Token));

        var first = await NextUpdateAsync(reader, cancel.Token);
        await server.TrafficAsync("alice", 1);
        var second = await NextUpdateAsync(reader, cancel.Token);

        Assert.True(second.GetProperty("version").GetInt64() > first.GetProperty("version").GetInt64());
        Assert.Equal(SampleServer.Start, second.GetProperty("time").GetDateTimeOffset());
    }

    private static async Task<JsonElement> NextUpdateAsync(StreamReader reader, CancellationToken cancellationToken)
    {
        string? eventName = null;
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (line.StartsWith("event: ", StringComparison.Ordinal)) eventName = line["event: ".Length..];
            else if (line.StartsWith("data: ", StringComparison.Ordinal) && eventName == "update") return JsonDocument.Parse(line["data: ".Length..]).RootElement.Clone();
        }
        throw new Xunit.Sdk.XunitException("The event stream ended.");
    }

    private static Task<HttpResponseMessage> Post(SampleServer server, string path, string json, string? origin = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        if (origin is not null) request.Headers.Add("Origin", origin);
        return server.Client.SendAsync(request);
    }
}
