namespace GuardedAI;

/// <summary>
/// The keys one configuration section may hold, and what each holds: a value, a nested section, a map of named
/// sections (budgets by name) or of named values (aliases). <see cref="StrictConfigurationValidator"/> checks a
/// section against it, so every unknown key and every bad value is reported with its full path. Packages describe
/// their own sections the same way and register them with
/// <see cref="GuardedAIServiceCollectionExtensions.AddConfigurationSection"/>.
/// </summary>
public sealed class ConfigurationSchema
{
    private readonly Dictionary<string, ConfigurationEntry> _entries = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<string> _order = [];

    /// <summary>Describes a section; <paramref name="noun"/> names what it is in messages ("a budget").</summary>
    public ConfigurationSchema(string noun)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(noun);
        Noun = noun;
    }

    /// <summary>What the section is, for messages: "a budget".</summary>
    public string Noun { get; }

    /// <summary>Whether keys not described here are left to the package that reads the section (which checks them itself).</summary>
    public bool IsOpen { get; private set; }

    /// <summary>Leaves the keys this schema does not describe to a package that reads the section and checks them itself
    /// (the alert channels under <c>GuardedAI:Alerts</c>, a store's own section).</summary>
    public ConfigurationSchema Open()
    {
        IsOpen = true;
        return this;
    }

    /// <summary>The keys, in the order they were described.</summary>
    public IReadOnlyList<string> Keys => _order;

    /// <summary>Allows <paramref name="key"/> holding <paramref name="value"/>; <paramref name="required"/>: the key must be present.</summary>
    public ConfigurationSchema Value(string key, ConfigurationValue value, bool required = false) => Add(key, new ConfigurationEntry.Single(value, required));

    /// <summary>Allows <paramref name="key"/> holding a section described by <paramref name="section"/>.</summary>
    public ConfigurationSchema Section(string key, ConfigurationSchema section) => Add(key, new ConfigurationEntry.Nested(section));

    /// <summary>Allows <paramref name="key"/> holding sections by name (any name <paramref name="names"/> accepts), each described by <paramref name="entries"/>.</summary>
    public ConfigurationSchema Map(string key, ConfigurationSchema entries, ConfigurationValue? names = null) => Add(key, new ConfigurationEntry.SectionMap(entries, names));

    /// <summary>Allows <paramref name="key"/> holding values by name, each described by <paramref name="values"/>.</summary>
    public ConfigurationSchema ValueMap(string key, ConfigurationValue values) => Add(key, new ConfigurationEntry.ValueMap(values));

    /// <summary>Allows <paramref name="key"/> holding a list (<c>key:0</c>, <c>key:1</c>, …) of <paramref name="items"/>.</summary>
    public ConfigurationSchema List(string key, ConfigurationValue items) => Add(key, new ConfigurationEntry.ValueList(items));

    /// <summary>Removes <paramref name="key"/> (a package that takes over a section replaces its description).</summary>
    public ConfigurationSchema Remove(string key)
    {
        if (_entries.Remove(key)) _order.RemoveAll(k => string.Equals(k, key, StringComparison.OrdinalIgnoreCase));
        return this;
    }

    internal bool TryGet(string key, out ConfigurationEntry entry) => _entries.TryGetValue(key, out entry!);

    /// <summary>The nested section described under <paramref name="key"/>, if any.</summary>
    internal ConfigurationSchema? NestedSection(string key) => _entries.TryGetValue(key, out var entry) && entry is ConfigurationEntry.Nested nested ? nested.Schema : null;

    internal IEnumerable<(string Key, ConfigurationEntry Entry)> Entries => _order.Select(k => (k, _entries[k]));

    private ConfigurationSchema Add(string key, ConfigurationEntry entry)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(key);
        if (!_entries.TryAdd(key, entry)) throw new ArgumentException($"The key '{key}' is already described in {Noun}.", nameof(key));
        _order.Add(key);
        return this;
    }
}

/// <summary>What one key of a <see cref="ConfigurationSchema"/> holds.</summary>
internal abstract record ConfigurationEntry
{
    public sealed record Single(ConfigurationValue Value, bool Required) : ConfigurationEntry;
    public sealed record Nested(ConfigurationSchema Schema) : ConfigurationEntry;
    public sealed record SectionMap(ConfigurationSchema Entries, ConfigurationValue? Names) : ConfigurationEntry;
    public sealed record ValueMap(ConfigurationValue Values) : ConfigurationEntry;
    public sealed record ValueList(ConfigurationValue Items) : ConfigurationEntry;
}
