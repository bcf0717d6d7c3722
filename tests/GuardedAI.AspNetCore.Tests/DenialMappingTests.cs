using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace GuardedAI.AspNetCore.Tests;

/// <summary>The denial kinds that a running sample cannot easily produce, written by the same code.</summary>
public sealed class DenialMappingTests
{
    [Theory]
    [InlineData(DenialKind.StoreUnavailable, 503)]
    [InlineData(DenialKind.HostPressure, 503)]
    [InlineData(DenialKind.WindowLimit, 429)]
    [InlineData(DenialKind.RequestCap, 429)]
    [InlineData(DenialKind.Throttled, 429)]
    public async Task Each_kind_gets_its_status_and_a_problem_body(DenialKind kind, int status)
    {
        var services = new ServiceCollection().AddLogging().AddProblemDetails().BuildServiceProvider();
        var context = new DefaultHttpContext { RequestServices = services };
        context.Response.Body = new MemoryStream();
        var denial = new BudgetDenial(kind, "chat", null, null, 0, 0, 1, TimeSpan.FromSeconds(4.2), "Denied for a test.");

        await DenialResponse.WriteAsync(context, denial, new BudgetExceededException(denial));

        Assert.Equal(status, context.Response.StatusCode);
        Assert.Equal("5", context.Response.Headers.RetryAfter.ToString());
        context.Response.Body.Position = 0;
        using var body = await JsonDocument.ParseAsync(context.Response.Body);
        Assert.Equal(kind.ToString(), body.RootElement.GetProperty("kind").GetString());
        Assert.Equal(5, body.RootElement.GetProperty("retryAfter").GetInt64());
        Assert.Equal("Denied for a test.", body.RootElement.GetProperty("reason").GetString());
        Assert.StartsWith("application/problem+json", context.Response.ContentType);
    }

    [Fact]
    public void A_denial_wrapped_in_other_exceptions_is_found()
    {
        var denial = new BudgetDenial(DenialKind.WindowLimit, "chat", BudgetDimension.Requests, BudgetWindow.Hour, 3, 3, 1, null, "No.");
        var wrapped = new InvalidOperationException("outer", new AggregateException(new BudgetExceededException(denial)));
        Assert.Same(denial, DenialResponse.Find(wrapped)!.Denial);
        Assert.Null(DenialResponse.Find(new InvalidOperationException("unrelated")));
    }
}
