using Anthropic;
using Anthropic.Helpers.Beta;
using Microsoft.SemanticKernel.ChatCompletion;

namespace Agents;

/// <summary>
/// Provider SDK helpers no GuardedAI budget can wrap. Not called by this sample (they need provider keys); they are here so
/// that the build shows what GAI001 says about each, including what to do instead.
/// </summary>
internal static class LiveProviders
{
    public static async Task AnthropicToolRunnerAsync(AnthropicClient client, Anthropic.Models.Beta.Messages.MessageCreateParams request, IReadOnlyList<IBetaRunnableTool> tools)
    {
        var runner = client.Beta.Messages.ToolRunner(request, tools); // GAI001
        await foreach (var message in runner)
            Console.WriteLine(message);
    }

    public static Task AnthropicManagedAgentAsync(AnthropicClient client, Anthropic.Models.Beta.Sessions.Events.EventSendParams userEvent) =>
        client.Beta.Sessions.Events.Send(userEvent); // GAI001

    public static Task OpenAIResponsesAsync(OpenAI.Responses.ResponsesClient responses) =>
        responses.CreateResponseAsync("gpt-4o-mini", "What does a budget do?"); // GAI001

    public static Task SemanticKernelServiceAsync(OpenAI.OpenAIClient openAi)
    {
        IChatCompletionService chat = new Microsoft.SemanticKernel.Connectors.OpenAI.OpenAIChatCompletionService("gpt-4o-mini", openAi);
        return chat.GetChatMessageContentAsync("What does a budget do?"); // GAI001
    }
}
