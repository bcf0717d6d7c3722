using System.ClientModel;

namespace GuardedAI.Sdk.Tests;

/// <summary>
/// A provider's HTTP 429, as each real SDK surfaces it, opens the budget's breaker for the provider's retry-after, so
/// the calls that follow are denied locally instead of feeding a retry storm; the setting turns it off.
/// </summary>
public class ProviderRateLimitTests
{
    private static ProviderReply RateLimited(string body, string retryAfter) => new()
    {
        Status = 429, Body = body, Headers = new Dictionary<string, string> { ["retry-after"] = retryAfter },
    };

    [Fact]
    public async Task An_openai_429_opens_the_breaker_for_the_retry_after_it_sent()
    {
        await using var server = new ProviderServer(RateLimited(OpenAIWire.Error("rate_limit_exceeded", "Rate limit reached"), "20"));
        var guard = new Guarded("gpt-4o-mini");
        var client = guard.Wrap(OpenAIChatCompletionsTests.Client(server));

        await Assert.ThrowsAsync<ClientResultException>(() => client.GetResponseAsync("hello"));
        var denied = await Assert.ThrowsAsync<BudgetExceededException>(() => client.GetResponseAsync("hello again"));

        Assert.Single(server.Requests); // the second call never reached the provider
        Assert.Contains("HTTP 429", denied.Denial.Reason);
        Assert.Contains("20s", denied.Denial.Reason);
        Assert.InRange(denied.Denial.RetryAfter!.Value, TimeSpan.FromSeconds(15), TimeSpan.FromSeconds(20));
    }

    [Fact]
    public async Task An_anthropic_429_opens_the_breaker_for_the_policys_open_duration()
    {
        // The Anthropic SDK's exception carries the status but not the response headers.
        await using var server = new ProviderServer(RateLimited(AnthropicWire.Error("rate_limit_error", "slow down"), "3"));
        var guard = new Guarded("claude-sonnet-4-5", b => b.WithBreaker(BreakerSettings.Default with { FailureOpenDuration = TimeSpan.FromMinutes(2) }));
        var client = guard.Wrap(AnthropicChatClientTests.Sdk(server.BaseAddress).AsIChatClient("claude-sonnet-4-5", 1024));

        await Assert.ThrowsAnyAsync<Exception>(() => client.GetResponseAsync("hello"));
        var denied = await Assert.ThrowsAsync<BudgetExceededException>(() => client.GetResponseAsync("hello again"));

        Assert.Single(server.Requests);
        Assert.Contains("HTTP 429", denied.Denial.Reason);
        Assert.InRange(denied.Denial.RetryAfter!.Value, TimeSpan.FromSeconds(100), TimeSpan.FromMinutes(2));
    }

    [Fact]
    public async Task With_the_setting_off_a_429_is_one_failure_among_the_consecutive_ones()
    {
        await using var server = new ProviderServer(RateLimited(OpenAIWire.Error("rate_limit_exceeded", "Rate limit reached"), "20"));
        var guard = new Guarded("gpt-4o-mini", b => b.WithBreaker(BreakerSettings.Default with { OpenOnProviderRateLimit = false, ConsecutiveFailuresToOpen = 3 }));
        var client = guard.Wrap(OpenAIChatCompletionsTests.Client(server));

        for (var i = 0; i < 3; i++) await Assert.ThrowsAsync<ClientResultException>(() => client.GetResponseAsync("hello"));
        var denied = await Assert.ThrowsAsync<BudgetExceededException>(() => client.GetResponseAsync("hello"));

        Assert.Equal(3, server.Requests.Count);
        Assert.Contains("3 consecutive provider failures", denied.Denial.Reason);
    }

    [Theory]
    [InlineData("7", 7)]
    [InlineData("1.5", 1.5)]
    [InlineData("-4", 0)]
    [InlineData("999999999", 3600)]
    [InlineData("Thu, 01 Jan 2026 00:00:30 GMT", 30)]
    [InlineData("Wed, 31 Dec 2025 23:00:00 GMT", 0)]
    public void A_retry_after_header_is_read_and_bounded(string header, double seconds)
    {
        var now = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        Assert.Equal(TimeSpan.FromSeconds(seconds), ProviderErrors.ParseRetryAfter(header, now));
    }

    [Theory]
    [InlineData("soon")]
    [InlineData("NaN")]
    [InlineData("")]
    public void A_retry_after_that_does_not_parse_is_ignored(string header) =>
        Assert.Null(ProviderErrors.ParseRetryAfter(header, DateTimeOffset.UnixEpoch));
}
