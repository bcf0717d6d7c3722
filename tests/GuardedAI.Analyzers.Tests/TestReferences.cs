using System;
using System.IO;
using Microsoft.CodeAnalysis.Testing;
using Microsoft.Extensions.AI;

namespace GuardedAI.Analyzers.Tests;

/// <summary>What test sources compile against: the .NET 10 reference pack, the real GuardedAI runtime and the LLM client libraries.</summary>
internal static class TestReferences
{
    // The harness's built-in ReferenceAssemblies.Net.* need versions this machine's package copy lacks; this one is
    // fetched by the test project's PackageDownload at restore time.
    public static readonly ReferenceAssemblies Net10 =
        new("net10.0", new PackageIdentity("Microsoft.NETCore.App.Ref", "10.0.10"), Path.Combine("ref", "net10.0"));

    /// <summary>
    /// Everything test sources compile against. The frameworks are always there, as in a real agent project: Microsoft.Agents.AI
    /// declares a second Microsoft.Extensions.AI.ChatClientExtensions, and every chat test must still find its entry points.
    /// </summary>
    public static System.Collections.Generic.IEnumerable<string> All => System.Linq.Enumerable.Concat(Assemblies, Frameworks);

    public static readonly string[] Assemblies =
    {
        typeof(GuardedAI.BudgetChatClient).Assembly.Location,                    // GuardedAI.Runtime: the real contract
        typeof(IChatClient).Assembly.Location,                                   // Microsoft.Extensions.AI.Abstractions
        typeof(ChatClientBuilder).Assembly.Location,                             // Microsoft.Extensions.AI
        typeof(Microsoft.Extensions.DependencyInjection.IServiceCollection).Assembly.Location,
        typeof(Microsoft.Extensions.DependencyInjection.ServiceCollection).Assembly.Location,
        typeof(OpenAI.Chat.ChatClient).Assembly.Location,
        typeof(System.ClientModel.ApiKeyCredential).Assembly.Location,
        typeof(Anthropic.AnthropicClient).Assembly.Location,
        typeof(Microsoft.Extensions.Logging.ILoggerFactory).Assembly.Location,
    };

    /// <summary>The agent and orchestration frameworks: Microsoft Agent Framework and Semantic Kernel (with its OpenAI connector).</summary>
    public static readonly string[] Frameworks =
    {
        typeof(Microsoft.Agents.AI.AIAgent).Assembly.Location,                  // Microsoft.Agents.AI.Abstractions
        typeof(Microsoft.Agents.AI.ChatClientAgent).Assembly.Location,          // Microsoft.Agents.AI
        typeof(Microsoft.SemanticKernel.Kernel).Assembly.Location,              // Microsoft.SemanticKernel.Abstractions
        typeof(Microsoft.SemanticKernel.KernelExtensions).Assembly.Location,    // Microsoft.SemanticKernel.Core
        typeof(Microsoft.SemanticKernel.OpenAIKernelBuilderExtensions).Assembly.Location,
        typeof(Microsoft.Extensions.AI.OpenAIClientExtensions).Assembly.Location, // Microsoft.Extensions.AI.OpenAI (AsIChatClient)
    };
}
