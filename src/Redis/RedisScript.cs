using System.Security.Cryptography;
using System.Text;

namespace GuardedAI.Redis;

/// <summary>
/// A Lua script called by its SHA1 (EVALSHA), worked out once here. StackExchange.Redis, given the script's text,
/// finds its SHA1 by hashing the whole text on every call, inside the connection's write lock that every caller shares
/// (3.7 % of the benchmark's CPU, issue 16); given the SHA1 it sends EVALSHA directly. When the server does not know the
/// script (restarted, failed over, <c>SCRIPT FLUSH</c>), the call is sent once more as EVAL with the text, which runs
/// it and caches it on the server again (<see cref="GuardedAIRedis.EvaluateAsync"/>).
/// </summary>
internal sealed class RedisScript(string text)
{
    public string Text { get; } = text;

    public byte[] Sha1 { get; } = SHA1.HashData(Encoding.UTF8.GetBytes(text));
}
