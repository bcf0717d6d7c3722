// An agent whose tool loop never converges, under a per-request budget next to the provider and a run budget of
// $0.05 around the whole loop. No keys, no network: the simulated provider asks for the search tool forever.
using System.ComponentModel;
using GuardedAI;
using GuardedAI.Simulation;
using Microsoft.Agents.AI;
using Microsoft.Extensions.AI;

await using var engine = new BudgetEngine();
var budget = BudgetPolicy.Create("research-agent").ForModel("gpt-4o")
    .WithMaxOutputTokens(1_000)
    .WithLimit(BudgetDimension.CostUsd, BudgetWindow.Day, 5m)      // the team's daily budget
    .WithLimit(BudgetDimension.CostUsd, BudgetWindow.Run, 0.05m)   // and at most $0.05 for one agent run
    .Build();

var provider = new SimulatedChatClient("gpt-4o") { ToolCallsPerAnswer = int.MaxValue };
IChatClient guarded = new ChatClientBuilder(provider)
    .UseRunBudget(engine, budget)      // outside the loop: the whole run
    .UseFunctionInvocation(configure: loop => loop.MaximumIterationsPerRequest = 1_000)
    .UseBudget(engine, budget)         // next to the provider: each request reserved on its own
    .Build();

[Description("Searches the web.")]
static string Search([Description("What to look for.")] string query) => $"3 results for '{query}'";

AIAgent agent = new ChatClientAgent(guarded, instructions: "You are a thorough researcher.", tools: [AIFunctionFactory.Create(Search)]);
var answer = await agent.RunAsync("Find everything about budget guards for LLM calls.");

Console.WriteLine($"Agent answered after {provider.RequestCount} provider requests:");
Console.WriteLine($"  {answer.Text}");
var records = engine.Ledger.Snapshot();
var run = records.Where(r => r.RunId is not null).GroupBy(r => r.RunId!).Single();
Console.WriteLine($"Run {run.Key[..8]}…: {run.Count(r => r.Status == UsageStatus.Success)} requests settled, spent ${run.Sum(r => r.CostUsd):0.0000} of its $0.05.");
foreach (var denied in run.Where(r => r.Status == UsageStatus.Denied)) Console.WriteLine($"  stopped by: {denied.Reason}");
