using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace GuardedAI;

/// <summary>
/// Checks a configuration section against its <see cref="ConfigurationSchema"/> before anything is bound, because the
/// binder forgives too much: an unknown key is ignored (a misspelled <c>DailyCostLimit</c> gives a budget without
/// limits) and a value it cannot convert inside a dictionary drops the whole entry (a dropped tenant is unlimited).
/// Every problem is reported, each with its full configuration path and what was expected.
/// </summary>
public static class StrictConfigurationValidator
{
    /// <summary>Every problem of <paramref name="section"/>; empty when it matches <paramref name="schema"/>.</summary>
    public static IReadOnlyList<ConfigurationError> Validate(IConfigurationSection section, ConfigurationSchema schema)
    {
        ArgumentNullException.ThrowIfNull(section);
        ArgumentNullException.ThrowIfNull(schema);
        var errors = new List<ConfigurationError>();
        CheckSection(section, schema, errors);
        return errors;
    }

    /// <summary>Throws <see cref="GuardedAIConfigurationException"/> listing every problem of <paramref name="section"/>.</summary>
    public static void ThrowIfInvalid(IConfigurationSection section, ConfigurationSchema schema)
    {
        var errors = Validate(section, schema);
        if (errors.Count > 0) throw new GuardedAIConfigurationException(errors);
    }

    private static void CheckSection(IConfigurationSection section, ConfigurationSchema schema, List<ConfigurationError> errors)
    {
        if (!string.IsNullOrEmpty(section.Value))
        {
            errors.Add(new(section.Path, $"is a value, but {schema.Noun} is expected: a section with the keys {string.Join(", ", schema.Keys)}."));
            return;
        }
        var present = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var child in section.GetChildren())
        {
            present.Add(child.Key);
            if (!schema.TryGet(child.Key, out var entry))
            {
                if (schema.IsOpen) continue; // a package reads and checks the keys it owns here
                errors.Add(new(child.Path, $"is not a setting of {schema.Noun}. Valid keys: {string.Join(", ", schema.Keys)}."));
                continue;
            }
            switch (entry)
            {
                case ConfigurationEntry.Single single:
                    CheckValue(child, single.Value, errors);
                    break;
                case ConfigurationEntry.Nested nested:
                    if (IsUnset(child)) break;
                    CheckSection(child, nested.Schema, errors);
                    break;
                case ConfigurationEntry.SectionMap map:
                    if (IsUnset(child)) break;
                    if (!IsSection(child, $"a section of {map.Entries.Noun} by name", errors)) break;
                    foreach (var item in child.GetChildren())
                    {
                        if (map.Names is { } names && !names.Accepts(item.Key))
                            errors.Add(new(item.Path, $"'{item.Key}' is not a valid name: expected {names.Expected}."));
                        if (IsUnset(item)) errors.Add(new(item.Path, $"is empty, but {map.Entries.Noun} is expected: a section with the keys {string.Join(", ", map.Entries.Keys)}."));
                        else CheckSection(item, map.Entries, errors);
                    }
                    break;
                case ConfigurationEntry.ValueMap values:
                    if (IsUnset(child)) break;
                    if (!IsSection(child, $"a section of values by name, each {values.Values.Expected}", errors)) break;
                    foreach (var item in child.GetChildren()) CheckValue(item, values.Values.NonEmpty, errors);
                    break;
                case ConfigurationEntry.ValueList list:
                    if (IsUnset(child)) break;
                    if (!IsSection(child, $"a list, each item {list.Items.Expected}", errors)) break;
                    foreach (var item in child.GetChildren())
                    {
                        if (!int.TryParse(item.Key, NumberStyles.None, CultureInfo.InvariantCulture, out _)) errors.Add(new(item.Path, "is not a list item: a list holds items 0, 1, 2, …"));
                        else CheckValue(item, list.Items.NonEmpty, errors);
                    }
                    break;
            }
        }
        foreach (var (key, entry) in schema.Entries)
        {
            if (entry is ConfigurationEntry.Single { Required: true } required && (!present.Contains(key) || IsUnset(section.GetSection(key))))
                errors.Add(new(ConfigurationPath.Combine(section.Path, key), $"is missing: {schema.Noun} needs it ({required.Value.Expected})."));
        }
    }

    private static void CheckValue(IConfigurationSection value, ConfigurationValue expected, List<ConfigurationError> errors)
    {
        if (value.GetChildren().Any())
        {
            errors.Add(new(value.Path, $"is a section, but {expected.Expected} is expected."));
            return;
        }
        if (value.Value is null) return; // JSON null: not set
        if (value.Value.Length == 0)
        {
            if (expected.IsNonEmpty) errors.Add(new(value.Path, $"is empty; expected {expected.Expected}."));
            return;
        }
        if (!expected.Accepts(value.Value))
        {
            errors.Add(new(value.Path, expected.IsSecret
                ? $"is not valid (the value is not shown: it may hold a secret); expected {expected.Expected}."
                : $"is '{value.Value}'; expected {expected.Expected}."));
        }
    }

    private static bool IsSection(IConfigurationSection section, string expected, List<ConfigurationError> errors)
    {
        if (string.IsNullOrEmpty(section.Value)) return true;
        errors.Add(new(section.Path, $"is '{section.Value}', but {expected} is expected."));
        return false;
    }

    private static bool IsUnset(IConfigurationSection section) => string.IsNullOrEmpty(section.Value) && !section.GetChildren().Any();
}

/// <summary>One problem in configuration.</summary>
/// <param name="Path">The full configuration path, e.g. <c>GuardedAI:Budgets:bot:DailyCostLimit</c>.</param>
/// <param name="Problem">What is wrong and what was expected.</param>
public sealed record ConfigurationError(string Path, string Problem)
{
    /// <summary>"<c>path</c> problem".</summary>
    public override string ToString() => $"{Path} {Problem}";
}

/// <summary>The configuration cannot be used; <see cref="Errors"/> names every problem and where it is.</summary>
public sealed class GuardedAIConfigurationException : InvalidOperationException
{
    /// <summary>Creates the exception from its problems.</summary>
    public GuardedAIConfigurationException(IReadOnlyList<ConfigurationError> errors, Exception? innerException = null)
        : base(Describe(errors), innerException)
    {
        Errors = errors;
    }

    /// <summary>Every problem found.</summary>
    public IReadOnlyList<ConfigurationError> Errors { get; }

    private static string Describe(IReadOnlyList<ConfigurationError> errors) => errors.Count == 1
        ? $"GuardedAI configuration is invalid: {errors[0]}"
        : $"GuardedAI configuration is invalid ({errors.Count} problems):" + string.Concat(errors.Select(e => Environment.NewLine + "- " + e));
}
