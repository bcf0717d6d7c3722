using Anthropic;
using Anthropic.Core;
using GuardedAI.Simulation;
using Microsoft.Extensions.AI;

namespace GuardedAI.Samples.QuickStart;

/// <summary>The provider the QuickStart talks to: OpenAI when OPENAI_API_KEY is set, Anthropic when
/// ANTHROPIC_API_KEY is, otherwise the simulated provider (no key, no network).</summary>
internal static class Provider
{
    public static (IChatClient Client, string Model, string Name) FromEnvironment()
    {
        if (Key("OPENAI_API_KEY") is { } openAi)
        {
            return (new OpenAI.Chat.ChatClient("gpt-4o-mini", openAi).AsIChatClient(), "gpt-4o-mini", "OpenAI");
        }
        if (Key("ANTHROPIC_API_KEY") is { } anthropic)
        {
            return (new AnthropicClient(new ClientOptions { ApiKey = anthropic }).AsIChatClient("claude-haiku-4-5", 1024), "claude-haiku-4-5", "Anthropic");
        }
        return (new SimulatedChatClient("gpt-4o-mini", responseWords: 90), "gpt-4o-mini", "simulated (no network)");
    }

    private static string? Key(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } key && !string.IsNullOrWhiteSpace(key) ? key : null;
}
