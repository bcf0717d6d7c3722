using System.Collections;
using System.Reflection;
using System.Text.Json;

namespace GuardedAI.Tests;

/// <summary>The options a guard passes down after taking its keys out are what <see cref="ChatOptions.Clone"/> would give,
/// property by property.</summary>
public class ForwardedOptionsTests
{
    [Fact]
    public void Every_settable_property_is_copied_as_Clone_copies_it()
    {
        var properties = typeof(ChatOptions).GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite).ToList();
        Assert.True(properties.Count >= 20, $"only {properties.Count} properties found");
        var options = new ChatOptions();
        foreach (var property in properties) property.SetValue(options, NonDefault(property.PropertyType, property.Name));
        var remaining = new AdditionalPropertiesDictionary { ["kept"] = "yes" };

        var cloned = options.Clone();
        var copied = ForwardedOptions.With(options, remaining);

        Assert.Same(remaining, copied.AdditionalProperties);
        foreach (var property in properties.Where(p => p.Name != nameof(ChatOptions.AdditionalProperties)))
        {
            var original = property.GetValue(options);
            var fromClone = property.GetValue(cloned);
            var ours = property.GetValue(copied);
            Assert.True(ReferenceEquals(fromClone, original) == ReferenceEquals(ours, original),
                $"ChatOptions.{property.Name}: Clone {(ReferenceEquals(fromClone, original) ? "shares" : "copies")} it, the guard's copy does not");
            if (original is IEnumerable sequence and not string) Assert.Equal(sequence.Cast<object>(), ((IEnumerable)ours!).Cast<object>());
            else if (ReferenceEquals(ours, original)) continue;
            else if (original is ReasoningOptions) Assert.Equal(JsonSerializer.Serialize(original), JsonSerializer.Serialize(ours));
            else Assert.Equal(original, ours);
        }
    }

    [Fact]
    public void A_derived_options_type_is_cloned_by_its_own_Clone()
    {
        var options = new DerivedOptions { Marker = "mine", Temperature = 0.3f, AdditionalProperties = new() { ["a"] = 1 } };
        var copied = Assert.IsType<DerivedOptions>(ForwardedOptions.With(options, null));
        Assert.Equal("mine", copied.Marker);
        Assert.Equal(0.3f, copied.Temperature);
        Assert.Null(copied.AdditionalProperties);
        Assert.NotNull(options.AdditionalProperties);
    }

    [Fact]
    public void An_embedding_guards_copy_has_every_settable_property_Clone_would_give()
    {
        var properties = typeof(EmbeddingGenerationOptions).GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite).ToList();
        Assert.True(properties.Count >= 4, $"only {properties.Count} properties found");
        var options = new EmbeddingGenerationOptions();
        foreach (var property in properties) property.SetValue(options, NonDefault(property.PropertyType, property.Name));
        var remaining = new AdditionalPropertiesDictionary { ["kept"] = "yes" };

        var cloned = options.Clone();
        var copied = ForwardedOptions.With(options, remaining);

        Assert.IsType<EmbeddingGenerationOptions>(copied);
        Assert.Same(remaining, copied.AdditionalProperties);
        Assert.NotSame(remaining, options.AdditionalProperties);
        foreach (var property in properties.Where(p => p.Name != nameof(EmbeddingGenerationOptions.AdditionalProperties)))
        {
            var original = property.GetValue(options);
            var ours = property.GetValue(copied);
            Assert.True(ReferenceEquals(property.GetValue(cloned), original) == ReferenceEquals(ours, original),
                $"EmbeddingGenerationOptions.{property.Name}: Clone and the guard's copy differ in sharing it");
            Assert.Equal(original, ours);
        }

        var derived = Assert.IsType<DerivedEmbeddingOptions>(ForwardedOptions.With(new DerivedEmbeddingOptions { Marker = "mine", Dimensions = 8 }, remaining));
        Assert.Equal("mine", derived.Marker);
        Assert.Equal(8, derived.Dimensions);
        Assert.Same(remaining, derived.AdditionalProperties);
    }

    private sealed class DerivedEmbeddingOptions : EmbeddingGenerationOptions
    {
        public DerivedEmbeddingOptions() { }

        private DerivedEmbeddingOptions(DerivedEmbeddingOptions other) : base(other) => Marker = other.Marker;

        public string? Marker { get; set; }

        public override EmbeddingGenerationOptions Clone() => new DerivedEmbeddingOptions(this);
    }

    private sealed class DerivedOptions : ChatOptions
    {
        public DerivedOptions() { }

        private DerivedOptions(DerivedOptions other) : base(other) => Marker = other.Marker;

        public string? Marker { get; set; }

        public override ChatOptions Clone() => new DerivedOptions(this);
    }

    private static object NonDefault(Type type, string name)
    {
        var underlying = Nullable.GetUnderlyingType(type) ?? type;
        if (underlying == typeof(string)) return "x-" + name;
        if (underlying == typeof(float)) return 0.5f;
        if (underlying == typeof(int)) return 3;
        if (underlying == typeof(long)) return 3L;
        if (underlying == typeof(bool)) return true;
        if (underlying == typeof(AdditionalPropertiesDictionary)) return new AdditionalPropertiesDictionary { [BudgetChatClient.TenantKey] = "t" };
        if (underlying == typeof(IList<AITool>)) return new List<AITool> { AIFunctionFactory.Create(() => "x", "tool") };
        if (underlying == typeof(IList<string>)) return new List<string> { "stop" };
        if (underlying == typeof(ChatResponseFormat)) return ChatResponseFormat.Json;
        if (underlying == typeof(ChatToolMode)) return ChatToolMode.RequireAny;
        if (underlying == typeof(Func<IChatClient, object?>)) return new Func<IChatClient, object?>(_ => null);
        if (underlying == typeof(Func<IEmbeddingGenerator, object?>)) return new Func<IEmbeddingGenerator, object?>(_ => null);
        if (underlying == typeof(ResponseContinuationToken)) return ResponseContinuationToken.FromBytes(new byte[] { 1 });
        if (underlying == typeof(ReasoningOptions)) return new ReasoningOptions { Effort = ReasoningEffort.High, Output = ReasoningOutput.Full };
        throw new InvalidOperationException($"No value for ChatOptions.{name} ({type}): add one here, and the property to ForwardedOptions.With.");
    }
}
