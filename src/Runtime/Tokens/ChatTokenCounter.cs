using Microsoft.Extensions.AI;

namespace GuardedAI;

/// <summary>
/// Counts chat prompts with a Tiktoken vocabulary. Chat formats add tokens around every message: following
/// OpenAI's published accounting, each message costs 3 tokens plus its role, its content and (when set) its
/// author name plus 1, and every prompt 3 more to prime the reply. Counts of message texts are cached, because a chat
/// re-sends its whole history on every call: by the string instance (a re-sent message costs one lookup whatever its
/// length) and by content (a history rebuilt from storage). Counting takes time linear in the text read and stops once
/// the count passes the cap (see <see cref="BoundedBpeCounter"/>); every content kind counts (see <see cref="PromptContent"/>).
/// </summary>
/// <remarks>
/// The vocabulary loads in the background (it takes most of a second). Until it is loaded, a text counts as
/// <see cref="UpperBound(ReadOnlySpan{char})"/> — its UTF-8 length plus the most the long-piece cuts can add — which is never below the exact
/// count: every token stands for at least one byte. Such counts are not cached.
/// </remarks>
internal sealed class ChatTokenCounter : ITokenCounter
{
    private const int TokensPerMessage = 3;
    private const int TokensPerName = 1;
    private const int ReplyPriming = 3;
    private const int MinCachedLength = 32;

    /// <summary>Texts at least this long are also cached by instance: hashing them would cost more than a lookup.</summary>
    private const int MinReferenceCachedLength = 512;

    /// <summary>Tokens charged for an image, whatever its size: a high-detail 1024×1024 image in OpenAI's accounting.</summary>
    public const int TokensPerImage = PromptContent.TokensPerImage;

    private static readonly string[] KnownRoles = [ChatRole.User.Value, ChatRole.Assistant.Value, ChatRole.System.Value, ChatRole.Tool.Value];

    private readonly Task<BoundedBpeCounter> _tokenizer;
    private readonly double _margin;
    // The caches are built when the first exact count needs them, not with the counter: a guard is built at start-up,
    // while the vocabulary is still loading and counts are upper bounds that are never cached.
    private Caches? _caches;
    // The role names are below the cache's minimum length: counted once here rather than on every message.
    private readonly int[] _roleTokens = [-1, -1, -1, -1];

    internal ChatTokenCounter(string encoding, bool isExact, double margin) : this(TokenizerEncodings.GetAsync(encoding), encoding, isExact, margin) { }

    /// <summary>A counter over a vocabulary that may still be loading (tests pass one that never finishes).</summary>
    internal ChatTokenCounter(Task<BoundedBpeCounter> tokenizer, string encoding, bool isExact, double margin)
    {
        _tokenizer = tokenizer;
        Encoding = isExact ? encoding : $"approx({encoding}×{margin:0.##})";
        IsExact = isExact;
        _margin = margin;
    }

    /// <inheritdoc/>
    public string Encoding { get; }

    /// <inheritdoc/>
    public bool IsExact { get; }

    /// <summary>Whether the vocabulary is loaded (before, counts are <see cref="UpperBound(ReadOnlySpan{char})"/>).</summary>
    public bool IsLoaded => _tokenizer.IsCompletedSuccessfully;

    /// <summary>Completes when the vocabulary is loaded.</summary>
    public Task WhenLoaded => _tokenizer;

    /// <inheritdoc/>
    public int CountText(string text, int maxTokens = int.MaxValue)
    {
        if (string.IsNullOrEmpty(text)) return 0;
        if (!_tokenizer.IsCompletedSuccessfully)
        {
            // A vocabulary that failed to load fails every count, as loading it synchronously did.
            if (_tokenizer.IsFaulted || _tokenizer.IsCanceled) _tokenizer.GetAwaiter().GetResult();
            // Stopped past the cap, the bound is some number above it, as an exact count stopped there would be.
            return Scale(UpperBound(text, maxTokens == int.MaxValue ? long.MaxValue : (long)Math.Floor(maxTokens / _margin)));
        }

        var caches = _caches ?? Caches.Create(ref _caches);
        var byInstance = text.Length >= MinReferenceCachedLength;
        if (byInstance ? caches.ByInstance.TryGet(text, out var known) : text.Length >= MinCachedLength && caches.Recent.TryGet(text, out known)) return known;
        // Looking a text up by content hashes all of it: only texts a table would keep are looked up.
        var byContent = text.Length >= MinCachedLength ? caches.ByContent(text) : null;
        if (byContent?.Find(text) is { } cached)
        {
            if (byInstance) caches.ByInstance.Add(text, cached.Count);
            else caches.Recent.Remember(text, cached);
            return cached.Count;
        }

        // Stop once the scaled count must pass the cap: a 10 MB prompt costs no more to reject than a small one.
        var rawCap = maxTokens == int.MaxValue ? long.MaxValue : (long)Math.Floor(maxTokens / _margin);
        var raw = _tokenizer.Result.Count(text, rawCap);
        var count = Scale(raw);
        if (raw > rawCap) return Math.Max(count, maxTokens + 1); // stopped early: a lower bound, not cached

        var added = byContent?.Add(text, count);
        if (byInstance) caches.ByInstance.Add(text, count);
        else if (added is not null) caches.Recent.Remember(text, added);
        return count;
    }

    /// <summary>The most tokens <see cref="CountText"/> can return for <paramref name="text"/>, loaded or not (what it returns
    /// while the vocabulary loads): <see cref="UpperBound(ReadOnlySpan{char})"/>, scaled as a count is.</summary>
    public long Bound(ReadOnlySpan<char> text) => text.IsEmpty ? 0 : Scale(UpperBound(text));

    /// <summary>
    /// The most tokens <paramref name="text"/> can count as without its vocabulary: byte-pair encoding never makes more
    /// tokens than the text has UTF-8 bytes, and <see cref="BoundedBpeCounter"/> adds <see cref="BoundedBpeCounter.TokensPerCut"/>
    /// per cut of a piece of at least <see cref="BoundedBpeCounter.MaxRunLength"/> characters — at most one token per 32 characters.
    /// It also counts a cut for a shorter piece of whitespace that starts a run of that many; such a piece is followed by
    /// the rest of its run, whose byte-pair encoding takes far fewer tokens than its bytes, and that slack covers the cut
    /// (<c>TokenCountingProperties</c> checks a dense such text against this bound).
    /// </summary>
    public static long UpperBound(ReadOnlySpan<char> text) =>
        System.Text.Encoding.UTF8.GetByteCount(text) + (text.Length + 31L) / 32;

    /// <summary><see cref="UpperBound(ReadOnlySpan{char})"/>, read in chunks and stopped once it passes <paramref name="cap"/>
    /// (the result is then some number above the cap): a 50 MB prompt is not read to the end to learn it is too large.</summary>
    public static long UpperBound(ReadOnlySpan<char> text, long cap)
    {
        const int Chunk = 64 * 1024;
        long total = 0;
        var offset = 0;
        while (offset < text.Length && total <= cap)
        {
            var length = Math.Min(Chunk, text.Length - offset);
            // Keep a surrogate pair in one chunk, so it is counted as the 4 bytes it is.
            if (offset + length < text.Length && char.IsHighSurrogate(text[offset + length - 1])) length++;
            total += UpperBound(text.Slice(offset, length));
            offset += length;
        }
        return total;
    }

    /// <inheritdoc/>
    public int CountMessages(IEnumerable<ChatMessage> messages, int maxTokens = int.MaxValue)
    {
        long total = ReplyPriming;
        // Indexed when the messages are a list (they nearly always are): a foreach through the interface allocates an enumerator.
        if (messages is IList<ChatMessage> list)
        {
            for (var i = 0; i < list.Count && total <= maxTokens; i++) total = CountMessage(list[i], total, maxTokens);
        }
        else
        {
            foreach (var message in messages)
            {
                if (total > maxTokens) break;
                total = CountMessage(message, total, maxTokens);
            }
        }
        return (int)Math.Min(int.MaxValue, total);
    }

    /// <summary><paramref name="total"/> plus the tokens of <paramref name="message"/>, counting stopped once past <paramref name="maxTokens"/>.</summary>
    private long CountMessage(ChatMessage message, long total, int maxTokens)
    {
        var remaining = (int)Math.Max(0, Math.Min(int.MaxValue, (long)maxTokens - total));
        total += TokensPerMessage + CountRole(message.Role.Value, remaining);
        if (!string.IsNullOrEmpty(message.AuthorName)) total += TokensPerName + CountText(message.AuthorName!, remaining);
        var contents = message.Contents;
        for (var i = 0; i < contents.Count && total <= maxTokens; i++)
        {
            total += CountContent(contents[i], (int)Math.Max(0, Math.Min(int.MaxValue, (long)maxTokens - total)));
        }
        return total;
    }

    private int CountRole(string role, int remaining)
    {
        var index = Array.IndexOf(KnownRoles, role);
        if (index < 0 || !_tokenizer.IsCompletedSuccessfully) return CountText(role, remaining);
        var tokens = Volatile.Read(ref _roleTokens[index]);
        if (tokens < 0) Volatile.Write(ref _roleTokens[index], tokens = CountText(role));
        return tokens;
    }

    private int CountContent(AIContent content, int remaining)
    {
        var fixedTokens = PromptContent.FixedTokens(content);
        if (fixedTokens > 0) return (int)Math.Min(int.MaxValue, fixedTokens);
        return PromptContent.Text(content) is { Length: > 0 } text ? CountText(text, remaining) : 0;
    }

    private int Scale(long raw) => (int)Math.Min(int.MaxValue, IsExact ? raw : Math.Ceiling(raw * _margin));

    /// <summary>The counts cached by content and by instance. By content, texts go to a table for their length, so that
    /// long texts, few and large, do not evict the many short ones, and all three together hold at most 48 MB of text
    /// (the cache kept 8,192 texts of any length before: 3,000 distinct 50,000-character prompts kept ~290 MB alive).</summary>
    private sealed class Caches
    {
        private readonly CountTable _short = CountTable.ForShortTexts();
        private readonly CountTable _medium = CountTable.ForMediumTexts();
        private readonly CountTable _long = CountTable.ForLongTexts();
        public readonly InstanceCache ByInstance = new();
        public readonly RecentInstances Recent = new();

        /// <summary>The table that keeps <paramref name="text"/>'s count by content, or null when none does (longer than the
        /// long table keeps: a text that size comes back as the same instance or is counted again).</summary>
        public CountTable? ByContent(string text) =>
            text.Length <= _short.MaxLength ? _short : text.Length <= _medium.MaxLength ? _medium : text.Length <= _long.MaxLength ? _long : null;

        /// <summary>Sets <paramref name="slot"/> once (a racing thread's copy is dropped) and returns what it holds.</summary>
        public static Caches Create(ref Caches? slot)
        {
            var created = new Caches();
            return Interlocked.CompareExchange(ref slot, created, null) ?? created;
        }
    }

    /// <summary>
    /// Entries of the content tables found again by string instance, for texts shorter than
    /// <see cref="MinReferenceCachedLength"/>: a system prompt or a few-shot example held in a field is passed as the same
    /// string on every call, and hashing its content to find it (the runtime's randomized hash, ~30 ns for 60 characters)
    /// was ~3 % of a guarded call. A direct-mapped table by the instance's identity hash: a slot holds an entry of a
    /// content table (nothing is allocated) and is used only when the entry's text is this very instance; a collision
    /// replaces the slot. It keeps alive only entries (and texts) its tables keep or kept, at most its slots of them.
    /// </summary>
    private sealed class RecentInstances
    {
        private const int Slots = 256;
        private readonly CountTable.Entry?[] _slots = new CountTable.Entry?[Slots];

        public bool TryGet(string text, out int count)
        {
            var entry = Volatile.Read(ref _slots[Slot(text)]);
            if (entry is not null && ReferenceEquals(entry.Text, text))
            {
                count = entry.Count;
                return true;
            }
            count = 0;
            return false;
        }

        /// <summary>Keeps <paramref name="entry"/> when its text is <paramref name="text"/> itself (an entry made for another
        /// instance of the same characters could not be told apart from a collision).</summary>
        public void Remember(string text, CountTable.Entry entry)
        {
            if (ReferenceEquals(entry.Text, text)) Volatile.Write(ref _slots[Slot(text)], entry);
        }

        private static int Slot(string text) => System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(text) & (Slots - 1);
    }

    /// <summary>
    /// Counts by string instance, held weakly (a dropped conversation frees its texts). Strings are immutable, so an
    /// instance's count never changes. Sharded: looking up takes no lock, and adding locks one shard of sixteen.
    /// </summary>
    private sealed class InstanceCache
    {
        private readonly System.Runtime.CompilerServices.ConditionalWeakTable<string, object>[] _shards = NewShards();

        private static System.Runtime.CompilerServices.ConditionalWeakTable<string, object>[] NewShards()
        {
            var shards = new System.Runtime.CompilerServices.ConditionalWeakTable<string, object>[16];
            for (var i = 0; i < shards.Length; i++) shards[i] = new System.Runtime.CompilerServices.ConditionalWeakTable<string, object>();
            return shards;
        }

        public bool TryGet(string text, out int count)
        {
            if (Shard(text).TryGetValue(text, out var boxed))
            {
                count = (int)boxed;
                return true;
            }
            count = 0;
            return false;
        }

        public void Add(string text, int count) => Shard(text).AddOrUpdate(text, count);

        private System.Runtime.CompilerServices.ConditionalWeakTable<string, object> Shard(string text) =>
            _shards[System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(text) & 15];
    }
}
