// GuardedAI WebApi sample: a guarded chat API with per-user budgets, 429s and a live dashboard.
// Run: dotnet run --project samples/WebApi, then open http://127.0.0.1:5080/guardedai
using GuardedAI.Samples.WebApi;

await WebApiApp.Build(args).RunAsync();
