using Acme.SupportBot;
using GuardedAI;
using GuardedAI.Simulation;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;

// A provider stand-in: deterministic answers, realistic token usage, no key and no network.
// In production this is e.g. new OpenAIClient(key).GetChatClient("gpt-4o-mini").AsIChatClient().
var services = new ServiceCollection();
services.AddSingleton(new BudgetEngine(new BudgetEngineOptions { LogAlerts = false }));
services.AddSupportBot(_ => new SimulatedChatClient("gpt-4o-mini", responseWords: 40));
await using ServiceProvider provider = services.BuildServiceProvider();

ISupportBot bot = provider.GetRequiredService<ISupportBot>();
BudgetEngine engine = provider.GetRequiredService<BudgetEngine>();
Console.WriteLine($"Budget: {((BudgetChatClient)bot).Policy}");
Console.WriteLine();

// 1. A typed text call.
string answer = await bot.AnswerAsync("Where is my order?");
Console.WriteLine($"AnswerAsync   -> {answer}");

// 2. A typed structured call: the model is asked for JSON and the result deserialized.
TicketCategory category = await bot.ClassifyAsync("I was charged twice for order #4711.");
Console.WriteLine($"ClassifyAsync -> {category}");

// 3. A streamed call.
Console.Write("DraftAsync    -> ");
await foreach (string chunk in bot.DraftAsync("faster checkout; fixed the refund e-mail"))
{
    Console.Write(chunk);
}
Console.WriteLine();

// 4. The bot is an IChatClient too, guarded the same way.
ChatResponse raw = await bot.GetResponseAsync("hi");
Console.WriteLine($"GetResponseAsync -> {raw.Text}");

// 5. HourlyRequests = 4, and that was the 4th request: the budget now says no, before the provider is called.
//    (Asked in a loop only so that the demo also holds if the clock crosses into a new hour right now.)
for (int attempt = 1; ; attempt++)
{
    try
    {
        await bot.AnswerAsync("One more question?");
    }
    catch (BudgetExceededException denied)
    {
        Console.WriteLine();
        Console.WriteLine($"Denied: {denied.Message}");
        Console.WriteLine($"        scope {denied.Scope}, retry after {denied.RetryAfter}");
        break;
    }

    if (attempt == 10)
    {
        Console.WriteLine("Unexpected: the budget allowed ten more calls.");
        return 1;
    }
}

Console.WriteLine();
Console.WriteLine("Usage by budget:");
Console.Write(UsageSummary.ToTable(
    UsageSummary.Build(engine.Ledger.Snapshot(), UsageSummary.ByBudget), "Budget"));
return 0;
