using Microsoft.AspNetCore.Builder;
using System.Net;
using System.Text.Json;

namespace GuardedAI.AspNetCore.Tests;

/// <summary>Denials as HTTP, through the sample running on Kestrel: 429 problem details, Retry-After and rate-limit fields.</summary>
public sealed class DenialResponseTests
{
    [Fact]
    public async Task An_allowed_call_carries_the_rate_limit_fields_of_its_budget_and_tenant()
    {
        await using var server = await SampleServer.StartAsync();

        using var response = await server.ChatAsync("alice");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var policy = Header(response, "RateLimit-Policy");
        Assert.Contains("\"budget-hour-requests\";q=600;w=3600", policy);
        Assert.Contains("\"budget-day-cost\";q=1000000;qu=\"usd-micros\";w=86400", policy);
        Assert.Contains("\"tenant-hour-requests\";q=20;w=3600", policy);
        Assert.Contains("\"tenant-day-cost\";q=50000;qu=\"usd-micros\";w=86400", policy);
        Assert.DoesNotContain("alice", policy);
        var current = Header(response, "RateLimit");
        Assert.Contains("\"budget-hour-requests\";r=599;t=3600", current);
        Assert.Contains("\"tenant-hour-requests\";r=19;t=3600", current);
        // The most used limit: 1 of the tenant's 20 hourly requests (5%).
        Assert.Equal("20", Header(response, "X-RateLimit-Limit"));
        Assert.Equal("19", Header(response, "X-RateLimit-Remaining"));
        Assert.Equal("3600", Header(response, "X-RateLimit-Reset"));
    }

    [Fact]
    public async Task A_tenant_past_its_limit_gets_429_problem_details_with_retry_after_then_succeeds_after_the_window()
    {
        await using var server = await SampleServer.StartAsync();
        server.Clock.Advance(TimeSpan.FromMinutes(10));
        HttpResponseMessage? denied = null;
        var allowed = 0;
        for (var i = 0; i < 25 && denied is null; i++)
        {
            var response = await server.ChatAsync("alice");
            if (response.StatusCode == HttpStatusCode.OK) { allowed++; response.Dispose(); }
            else denied = response;
        }

        Assert.NotNull(denied);
        using (denied)
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, denied.StatusCode);
            Assert.Equal("application/problem+json", denied.Content.Headers.ContentType?.MediaType);
            Assert.Equal("3000", Header(denied, "Retry-After"));
            using var body = JsonDocument.Parse(await denied.Content.ReadAsStringAsync());
            var problem = body.RootElement;
            Assert.Equal(429, problem.GetProperty("status").GetInt32());
            Assert.Equal("tenant:alice", problem.GetProperty("scope").GetString());
            Assert.Equal("Requests", problem.GetProperty("dimension").GetString());
            Assert.Equal("Hour", problem.GetProperty("window").GetString());
            Assert.Equal(20m, problem.GetProperty("limit").GetDecimal());
            Assert.Equal(allowed, problem.GetProperty("usage").GetDecimal());
            Assert.Equal(3000, problem.GetProperty("retryAfter").GetInt64());
            Assert.Equal("2026-03-10T11:00:00.0000000+00:00", problem.GetProperty("retryAt").GetString());
            var reason = problem.GetProperty("reason").GetString()!;
            Assert.Contains("hourly requests limit is 20", reason);
            Assert.Equal(reason, problem.GetProperty("detail").GetString());
            Assert.StartsWith("urn:guardedai:denial:", problem.GetProperty("type").GetString());
            Assert.Equal("20", Header(denied, "X-RateLimit-Limit"));
            Assert.Equal("0", Header(denied, "X-RateLimit-Remaining"));
            Assert.Equal("3000", Header(denied, "X-RateLimit-Reset"));
            Assert.Equal("\"tenant-hour-requests\";q=20;w=3600", Header(denied, "RateLimit-Policy"));
            Assert.Equal("\"tenant-hour-requests\";r=0;t=3000", Header(denied, "RateLimit"));
        }
        // The trip threshold (95%) opens the tenant's breaker at 19 of 20 requests.
        Assert.Equal(19, allowed);

        // Another user is a different tenant with a budget of its own.
        using (var bob = await server.ChatAsync("bob")) Assert.Equal(HttpStatusCode.OK, bob.StatusCode);

        // When the window the denial named resets, the call goes through again.
        server.Clock.Advance(TimeSpan.FromSeconds(3000));
        using var later = await server.ChatAsync("alice");
        Assert.Equal(HttpStatusCode.OK, later.StatusCode);
    }

    [Fact]
    public async Task A_denied_stream_is_a_429_before_anything_is_streamed()
    {
        await using var server = await SampleServer.StartAsync();
        server.Engine.Breakers.Get("chat").Trip("maintenance", TimeSpan.FromMinutes(5));

        using var response = await server.ChatAsync("alice", path: "/chat/stream");

        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("300", Header(response, "Retry-After"));
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("BreakerOpen", body.RootElement.GetProperty("kind").GetString());
        Assert.Equal("urn:guardedai:denial:breaker-open", body.RootElement.GetProperty("type").GetString());
    }

    [Fact]
    public async Task An_allowed_stream_sends_events_and_carries_the_fields()
    {
        await using var server = await SampleServer.StartAsync();

        using var response = await server.ChatAsync("alice", path: "/chat/stream");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("19", Header(response, "X-RateLimit-Remaining"));
        var text = await response.Content.ReadAsStringAsync();
        Assert.Contains("event: delta", text);
        Assert.EndsWith("event: done\ndata: {}\n\n", text);
    }

    [Fact]
    public async Task A_denial_thrown_outside_RequireBudget_becomes_429_through_the_exception_handler()
    {
        await using var server = await SampleServer.StartAsync(app => app.MapGet("/unguarded-endpoint", async (Microsoft.Extensions.AI.IChatClient client) =>
            (await Microsoft.Extensions.AI.ChatClientExtensions.GetResponseAsync(client, "hi")).Text));
        server.Engine.Breakers.EmergencyStopAll("incident 42");

        using var response = await server.Client.GetAsync("/unguarded-endpoint");

        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("EmergencyStop", body.RootElement.GetProperty("kind").GetString());
        Assert.Contains("incident 42", body.RootElement.GetProperty("reason").GetString());
        Assert.False(response.Headers.Contains("X-RateLimit-Limit"));
    }

    [Fact]
    public async Task A_request_without_a_user_is_refused_before_any_budget_is_spent()
    {
        await using var server = await SampleServer.StartAsync();
        using var response = await server.Client.PostAsync("/chat", new StringContent("""{"message":"hi"}""", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var usage = await server.Engine.GetUsageAsync(server.Engine.GetPolicy("chat")!);
        Assert.All(usage, u => Assert.Equal(0m, u.Used));
    }

    internal static string Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? string.Join(", ", values) : throw new Xunit.Sdk.XunitException($"The response has no {name} header.");
}
