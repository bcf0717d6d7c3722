using GuardedAI.AspNetCore;
using GuardedAI.Reports;
using GuardedAI.Simulation;
using GuardedAI.Sqlite;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.AI;

namespace GuardedAI.Samples.WebApi;

/// <summary>Builds the sample application; <c>Program</c> runs it, and the integration tests start it on a free port.</summary>
public static class WebApiApp
{
    /// <summary>The address the sample listens on when none is given (<c>--urls</c> or <c>ASPNETCORE_URLS</c>): this machine only.</summary>
    public const string DefaultUrl = "http://127.0.0.1:5080";

    /// <summary>Builds the application; <paramref name="configure"/> may change its services before they are built.</summary>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        if (string.IsNullOrEmpty(builder.Configuration["urls"])) builder.WebHost.UseUrls(DefaultUrl);

        builder.Services.AddGuardedAI(builder.Configuration)  // budgets from the "GuardedAI" section
            .AddSqliteLedger()                                 // every call in a SQLite file: spend survives restarts
            .AddAspNetCore();                                  // 429 problem details, health check, dashboard
        // Reports, the JSON endpoints and the dashboard read the ledger through the store's own queries.
        builder.Services.AddSingleton<IUsageLedgerQueries>(_ =>
            new SqliteUsageQueries(builder.Configuration["GuardedAI:Sqlite:Path"] ?? new SqliteLedgerOptions().Path));

        // The simulated provider: deterministic answers, real token counts, no keys and no network.
        builder.Services.AddChatClient(_ => new SimulatedChatClient("gpt-4o-mini", responseWords: 60)).UseBudget("chat");

        builder.Services.AddAuthentication(ApiKeyAuthentication.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthentication>(ApiKeyAuthentication.SchemeName, null);
        builder.Services.AddAuthorization();
        builder.Services.AddOpenApi();
        configure?.Invoke(builder);

        var app = builder.Build();
        app.UseExceptionHandler();   // a BudgetExceededException anywhere becomes 429 (503 when the store is down)
        app.UseAuthentication();
        app.UseAuthorization();

        app.MapGet("/", () => Results.Text(
            "GuardedAI WebApi sample. POST /chat or /chat/stream with {\"message\":\"...\"} and 'Authorization: Bearer alice-demo-key'. " +
            "Dashboard: /guardedai. OpenAPI: /openapi/v1.json.\n")).ExcludeFromDescription();
        ChatEndpoints.Map(app);
        app.MapGuardedAI("/guardedai");   // dashboard, JSON, events, health: callers on this machine only by default
        app.MapOpenApi();
        return app;
    }
}
