// Agents and SDK helpers under GuardedAI's analyzers. `dotnet build samples/Agents` prints one GAI001 warning for each
// line marked "GAI001" (in this file and in LiveProviders.cs) and nothing for the guarded calls; `dotnet run` runs the
// guarded agent and kernel, and one unguarded agent, offline against an echo model.
using Agents;
using GuardedAI;
using Microsoft.Agents.AI;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.SemanticKernel;

IChatClient provider = new EchoChatClient();
var engine = new BudgetEngine();
var policy = BudgetPolicy.Create("agents").WithLimit(BudgetDimension.Requests, BudgetWindow.Day, 100).Build();

// Guarded: an agent over a pipeline whose guard sits next to the provider, inside the agent's tool loop.
IChatClient guarded = new ChatClientBuilder(provider).UseFunctionInvocation().UseBudget(engine, policy).Build();
var agent = guarded.AsAIAgent(instructions: "Answer in one sentence.");
Console.WriteLine(await agent.RunAsync("What does a budget do?"));

// Guarded: a Semantic Kernel kernel whose chat service is a budgeted IChatClient.
var kernelBuilder = Kernel.CreateBuilder();
kernelBuilder.Services.AddChatClient(provider).UseBudget(engine, policy);
var kernel = kernelBuilder.Build();
Console.WriteLine(await kernel.InvokePromptAsync("Summarise: budgets stop runaway bills."));

// Unguarded: the same agent without UseBudget, written as a fluent chain over several lines (the warning stays one line).
var unguardedAgent = new ChatClientBuilder(provider)
    .UseFunctionInvocation()
    .Build()
    .AsAIAgent(instructions: "Answer in one sentence.");
Console.WriteLine(await unguardedAgent.RunAsync("And without a budget?")); // GAI001
await foreach (var update in new ChatClientBuilder(provider) // GAI001
                   .Build()
                   .AsAIAgent()
                   .RunStreamingAsync("Stream it"))
{
    Console.Write(update.Text);
}
Console.WriteLine();

// Unguarded: an agent registered in dependency injection over a pipeline without UseBudget.
var services = new ServiceCollection();
services.AddSingleton<AIAgent>(_ => new ChatClientAgent(new ChatClientBuilder(provider).Build(), "You triage tickets."));
services.AddSingleton<Triage>();
using var serviceProvider = services.BuildServiceProvider();
Console.WriteLine(await serviceProvider.GetRequiredService<Triage>().RunAsync("The invoice is wrong."));

namespace Agents
{
    /// <summary>Gets its agent from dependency injection.</summary>
    internal sealed class Triage(AIAgent agent)
    {
        public async Task<string> RunAsync(string ticket) => (await agent.RunAsync(ticket)).Text; // GAI001
    }
}
