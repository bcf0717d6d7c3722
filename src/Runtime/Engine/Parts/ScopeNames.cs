namespace GuardedAI.Engine;

/// <summary>
/// The counter scopes of conversations and runs (<c>conversation:budget:id</c>, <c>run:budget:id</c>), kept once built.
/// Every call in a conversation or run charges its counters under that name, so joining the three strings on each call
/// was a new string of the call's (docs/benchmarks-history.md, nineteenth round). Bounded (<see cref="BoundedCache{TKey, TValue}"/>,
/// <see cref="Capacity"/> names): a process that has seen a million conversations holds the names of recent ones only,
/// and one forgotten is joined again, the same.
/// </summary>
internal sealed class ScopeNames
{
    public const int Capacity = 4096;

    /// <summary>The names every engine of the process uses (a name depends on nothing but its three parts).</summary>
    public static ScopeNames Shared { get; } = new();

    private readonly BoundedCache<Key, string> _names = new(Capacity);

    /// <summary>How many names are held (tests).</summary>
    internal int Count => _names.Count;

    /// <summary>The scope of <paramref name="id"/>'s conversation or run (<paramref name="window"/>) in the budget <paramref name="budget"/>.</summary>
    public string Of(string budget, BudgetWindow window, string id)
    {
        var run = window == BudgetWindow.Run;
        var key = new Key(budget, run, id);
        if (_names.TryGetValue(key, out var name)) return name;
        name = (run ? "run:" : "conversation:") + budget + ":" + id;
        _names.Add(key, name);
        return name;
    }

    /// <summary>A budget's name, the window kind and the id, compared by their text.</summary>
    private readonly record struct Key(string Budget, bool Run, string Id);
}
