using System.Net.Http.Headers;
using System.Text;
using GuardedAI.Samples.WebApi;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace GuardedAI.AspNetCore.Tests;

/// <summary>
/// The WebApi sample, started with Kestrel on a free 127.0.0.1 port, its own appsettings.json, a fresh SQLite ledger in
/// the test output folder, and a fake clock (so windows, Retry-After and the dashboard's buckets are exact).
/// </summary>
internal sealed class SampleServer : IAsyncDisposable
{
    /// <summary>A Tuesday, 10:00 UTC: the current hour has 3600 s left.</summary>
    public static readonly DateTimeOffset Start = new(2026, 3, 10, 10, 0, 0, TimeSpan.Zero);

    private SampleServer(WebApplication app, FakeTimeProvider clock, Uri address, string ledger)
    {
        App = app;
        Clock = clock;
        Address = address;
        LedgerPath = ledger;
        Client = new HttpClient { BaseAddress = address };
    }

    public WebApplication App { get; }
    public FakeTimeProvider Clock { get; }
    public Uri Address { get; }
    public string LedgerPath { get; }
    public HttpClient Client { get; }
    public BudgetEngine Engine => App.Services.GetRequiredService<BudgetEngine>();

    public static async Task<SampleServer> StartAsync(Action<WebApplication>? map = null, params string[] settings)
    {
        var folder = Path.Combine(AppContext.BaseDirectory, "ledgers");
        Directory.CreateDirectory(folder);
        var ledger = Path.Combine(folder, $"webapi-{Guid.NewGuid():N}.db");
        var clock = new FakeTimeProvider(Start);
        string[] args = ["--urls", "http://127.0.0.1:0", "--contentRoot", AppContext.BaseDirectory, $"--GuardedAI:Sqlite:Path={ledger}",
            "--Logging:LogLevel:Default=Warning", .. settings];
        var app = WebApiApp.Build(args, builder => builder.Services.AddSingleton<TimeProvider>(clock));
        map?.Invoke(app);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return new SampleServer(app, clock, new Uri(address), ledger);
    }

    public async Task<HttpResponseMessage> ChatAsync(string user, string message = "Where is my order?", string path = "/chat", string? conversation = null)
    {
        var body = conversation is null ? $$"""{"message":"{{message}}"}""" : $$"""{"message":"{{message}}","conversationId":"{{conversation}}"}""";
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", user + "-demo-key");
        return await Client.SendAsync(request);
    }

    /// <summary>Sends <paramref name="calls"/> chat calls for <paramref name="user"/> and checks each was answered.</summary>
    public async Task TrafficAsync(string user, int calls, string? conversation = null)
    {
        for (var i = 0; i < calls; i++)
        {
            using var response = await ChatAsync(user, $"Question {i} from {user}", conversation: conversation);
            response.EnsureSuccessStatusCode();
        }
    }

    public async Task<System.Text.Json.JsonElement> GetJsonAsync(string path)
    {
        using var response = await Client.GetAsync(path);
        var text = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode) throw new Xunit.Sdk.XunitException($"GET {path} answered {(int)response.StatusCode}: {text}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        return System.Text.Json.JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>Waits until every record appended so far is in the file (denials are recorded off the call path).</summary>
    public Task FlushLedgerAsync() => ((GuardedAI.Sqlite.SqliteUsageLedger)Engine.Ledger).FlushAsync();

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
        foreach (var file in Directory.GetFiles(Path.GetDirectoryName(LedgerPath)!, Path.GetFileName(LedgerPath) + "*")) File.Delete(file);
    }
}
