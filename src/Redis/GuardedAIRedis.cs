using System.Diagnostics.Metrics;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace GuardedAI.Redis;

/// <summary>
/// One connection to Redis and the three things GuardedAI shares through it: the counter store
/// (<see cref="Counters"/>), breaker state (<see cref="Breakers"/>) and alert de-duplication
/// (<see cref="AlertDedup"/>). <see cref="ConnectAsync"/> applies connect and operation timeouts and checks that
/// the server runs Lua scripts, so a Redis that refuses them fails the start with a clear error instead of limits
/// silently becoming per instance.
/// </summary>
public sealed class GuardedAIRedis : IAsyncDisposable
{
    private readonly string[] _secrets;
    private readonly Meter _meter;
    private int _skewWarned;

    private GuardedAIRedis(IConnectionMultiplexer connection, RedisStoreOptions options, ConfigurationOptions configuration, ILogger logger)
    {
        Connection = connection;
        Options = options;
        Logger = logger;
        Endpoint = configuration.ToString(includePassword: false);
        _secrets = new[] { configuration.Password, configuration.SentinelPassword }.Where(s => !string.IsNullOrEmpty(s)).Select(s => s!).ToArray();
        Scripts = new RedisScripts(options.TestServerClockKey is null ? null : options.KeyPrefix + options.TestServerClockKey);
        Reserves = new ScriptBatcher<ReserveCall>(Scripts.ReserveScript, ScriptRequests.Reserve);
        Settlements = new ScriptBatcher<SettleCall>(Scripts.SettleScript, ScriptRequests.Settle);
        Clock = new RedisServerClock(TimeProvider.System);
        _meter = new Meter(GuardedAITelemetry.MeterName);
        _meter.CreateObservableGauge("guardedai.redis.clock_skew", () => Clock.Skew is { } skew ? [new Measurement<double>(skew.TotalSeconds)] : Array.Empty<Measurement<double>>(),
            "s", "How far this instance's clock is ahead of the Redis server's (negative: behind). Windows and leases follow the server's clock.");
        Counters = new RedisBudgetCounterStore(this);
        Breakers = new RedisBreakerStateStore(this);
        AlertDedup = new RedisAlertDedupStore(this);
    }

    /// <summary>The multiplexer.</summary>
    public IConnectionMultiplexer Connection { get; }

    /// <summary>The options.</summary>
    public RedisStoreOptions Options { get; }

    /// <summary>The connection string without its password, for messages.</summary>
    public string Endpoint { get; }

    /// <summary>The shared counter store.</summary>
    public RedisBudgetCounterStore Counters { get; }

    /// <summary>Shared breaker state.</summary>
    public RedisBreakerStateStore Breakers { get; }

    /// <summary>Shared alert de-duplication.</summary>
    public RedisAlertDedupStore AlertDedup { get; }

    internal ILogger Logger { get; }

    internal RedisScripts Scripts { get; }

    /// <summary>Runs the reserve script's calls, those that arrive together as one batch.</summary>
    internal ScriptBatcher<ReserveCall> Reserves { get; }

    /// <summary>Runs the settle script's calls, those that arrive together as one batch.</summary>
    internal ScriptBatcher<SettleCall> Settlements { get; }

    /// <summary>The shared clock: this instance's clock corrected by the server's (see <see cref="ClockSkew"/>).</summary>
    internal RedisServerClock Clock { get; }

    /// <summary>
    /// How far this instance's clock is ahead of the Redis server's (negative: behind), measured on every reservation,
    /// sweep and <see cref="SynchronizeClockAsync"/>; null before the first measurement. Windows and leases follow the
    /// server's clock whatever this is; above <see cref="RedisStoreOptions.ClockSkewWarning"/> a warning is logged.
    /// Also published as the <c>guardedai.redis.clock_skew</c> gauge (seconds).
    /// </summary>
    public TimeSpan? ClockSkew => Clock.Skew;

    /// <summary>Reads the server's clock now and updates <see cref="ClockSkew"/>.</summary>
    public async Task<TimeSpan> SynchronizeClockAsync(CancellationToken cancellationToken = default)
    {
        var before = Clock.Local.GetUtcNow();
        var server = (long)await RunAsync(db => db.ScriptEvaluateAsync(Scripts.Time), cancellationToken).ConfigureAwait(false);
        ObserveServerTime(before, server, Clock.Local.GetUtcNow(), force: true);
        return Clock.Skew!.Value;
    }

    /// <summary>Takes one reading of the server's clock (Unix ms) made between two local readings, and reports a skew that crosses the warning.</summary>
    internal void ObserveServerTime(DateTimeOffset localBefore, long serverUnixMs, DateTimeOffset localAfter, bool force = false)
    {
        if (!Clock.Observe(localBefore, serverUnixMs, localAfter, force) || Clock.Skew is not { } skew) return;
        var skewed = skew.Duration() > Options.ClockSkewWarning;
        if (Interlocked.Exchange(ref _skewWarned, skewed ? 1 : 0) == (skewed ? 1 : 0)) return;   // logged on a change only
        if (skewed) RedisLog.ClockSkewed(Logger, Endpoint, (long)skew.TotalMilliseconds, (long)Options.ClockSkewWarning.TotalMilliseconds);
        else RedisLog.ClockSkewBack(Logger, Endpoint, (long)skew.TotalMilliseconds);
    }

    internal IDatabase Database => Connection.GetDatabase();

    /// <summary>
    /// Connects and checks that scripts run. An unreachable Redis does not fail the start: the connection keeps
    /// retrying in the background and the engine applies its failure mode until Redis answers.
    /// </summary>
    /// <exception cref="RedisScriptingUnavailableException">Redis answered but refuses Lua scripts (disabled, renamed or denied by ACL).</exception>
    public static async Task<GuardedAIRedis> ConnectAsync(RedisStoreOptions options, ILogger? logger = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrWhiteSpace(options.Configuration)) throw new InvalidOperationException("GuardedAI:Redis:Configuration (RedisStoreOptions.Configuration) must be set.");
        logger ??= NullLogger.Instance;
        var configuration = ParseConfiguration(options);
        IConnectionMultiplexer connection;
        try
        {
            connection = await ConnectionMultiplexer.ConnectAsync(configuration).WaitAsync(options.ConnectTimeout * 2 + TimeSpan.FromSeconds(1), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            throw new RedisStoreException($"GuardedAI could not set up a Redis connection to {configuration.ToString(includePassword: false)}: {Redact(ex.Message, configuration)}");
        }
        var redis = new GuardedAIRedis(connection, options, configuration, logger);
        try
        {
            await redis.VerifyScriptsAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (RedisStoreException ex) when (ex is not RedisScriptingUnavailableException)
        {
            RedisLog.UnreachableAtStart(logger, redis.Endpoint, ex.Message);
        }
        catch
        {
            await redis.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        return redis;
    }

    /// <summary>
    /// Sets the counter store, breaker state store and alert de-duplication of <paramref name="engine"/> to this
    /// connection, and its clock to the shared one: <paramref name="engine"/>'s <see cref="BudgetEngineOptions.TimeProvider"/>
    /// corrected by the Redis server's time, so every instance computes the same windows and stamps its records with
    /// the same time. Set the engine's own <c>TimeProvider</c> before calling this.
    /// </summary>
    public void ApplyTo(BudgetEngineOptions engine)
    {
        ArgumentNullException.ThrowIfNull(engine);
        Clock.UseLocal(engine.TimeProvider);
        engine.TimeProvider = Clock;
        engine.Store = Counters;
        engine.BreakerStateStore = Breakers;
        engine.AlertDedupStore = AlertDedup;
    }

    /// <summary>Runs a trivial script, then one that uses Lua's <c>struct</c> library; throws
    /// <see cref="RedisScriptingUnavailableException"/> if the server refuses scripts or its Lua lacks that library.</summary>
    public async Task VerifyScriptsAsync(CancellationToken cancellationToken = default)
    {
        var result = await RunAsync(db => db.ScriptEvaluateAsync(RedisScripts.Probe), cancellationToken).ConfigureAwait(false);
        if ((long)result != 1) throw new RedisScriptingUnavailableException($"Redis at {Endpoint} ran a test script but answered '{result}' instead of 1.");
        try
        {
            result = await RunAsync(db => db.ScriptEvaluateAsync(RedisScripts.StructProbe), cancellationToken).ConfigureAwait(false);
        }
        catch (RedisStoreException ex) when (ex is not RedisScriptingUnavailableException && ex.Message.Contains("struct", StringComparison.Ordinal))
        {
            throw new RedisScriptingUnavailableException(
                $"Redis at {Endpoint} runs Lua scripts without the 'struct' library, which GuardedAI's scripts read their arguments with (Redis and Valkey have it built in). Use a server whose Lua has it; GuardedAI will not fall back to per-instance limits silently.", ex);
        }
        if ((long)result != 1) throw new RedisScriptingUnavailableException($"Redis at {Endpoint} ran a test script of Lua's 'struct' library but answered '{result}' instead of 1.");
    }

    /// <summary>Closes the connection.</summary>
    public async ValueTask DisposeAsync()
    {
        _meter.Dispose();
        await Connection.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Runs one Redis call with the operation timeout; failures become <see cref="RedisStoreException"/>s without secrets.</summary>
    internal async Task<T> RunAsync<T>(Func<IDatabase, Task<T>> call, CancellationToken cancellationToken)
    {
        try
        {
            return await WithDeadline(call(Database), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (Translate(ex) is { } translated)
        {
            throw translated;
        }
    }

    /// <summary>
    /// Runs a call of <paramref name="batcher"/>'s script as <see cref="RunAsync"/> runs a call, in one async method with
    /// no delegate: the reserve and settle scripts run twice a guarded call (issue 16).
    /// </summary>
    internal async Task<ScriptAnswer> EvaluateAsync<TCall>(ScriptBatcher<TCall> batcher, TCall call, CancellationToken cancellationToken)
        where TCall : ScriptCall
    {
        try
        {
            return await WithDeadline(batcher.EvaluateAsync(Database, call), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (Translate(ex) is { } translated)
        {
            throw translated;
        }
    }

    /// <summary>StackExchange.Redis times out by itself; the extra guard makes sure nothing ever waits much longer.</summary>
    private Task<T> WithDeadline<T>(Task<T> call, CancellationToken cancellationToken) =>
        call.WaitAsync(Options.OperationTimeout + TimeSpan.FromMilliseconds(500), cancellationToken);

    /// <summary>The error a caller sees for a failed Redis call, or null for one that is not Redis's (passed on as it is).</summary>
    private Exception? Translate(Exception ex) => ex switch
    {
        RedisServerException server when IsScriptingRefusal(server.Message) => new RedisScriptingUnavailableException(
            $"Redis at {Endpoint} refuses Lua scripts ({Redact(server.Message)}). GuardedAI needs EVAL/EVALSHA to enforce a budget atomically across instances; enable scripting for this user (ACL +@scripting) or do not rename EVAL/EVALSHA. GuardedAI will not fall back to per-instance limits silently."),
        RedisException or TimeoutException => new RedisStoreException($"Redis at {Endpoint} failed: {ex.GetType().Name}: {Redact(ex.Message)}"),
        _ => null,
    };

    internal string Redact(string message)
    {
        foreach (var secret in _secrets) message = message.Replace(secret, "***", StringComparison.Ordinal);
        return message;
    }

    private static string Redact(string message, ConfigurationOptions configuration) =>
        string.IsNullOrEmpty(configuration.Password) ? message : message.Replace(configuration.Password, "***", StringComparison.Ordinal);

    private static bool IsScriptingRefusal(string message) =>
        message.Contains("NOPERM", StringComparison.OrdinalIgnoreCase)
        || message.Contains("unknown command", StringComparison.OrdinalIgnoreCase)
        || message.Contains("scripting", StringComparison.OrdinalIgnoreCase) && message.Contains("disabled", StringComparison.OrdinalIgnoreCase);

    internal static ConfigurationOptions ParseConfiguration(RedisStoreOptions options)
    {
        var text = options.Configuration;
        var configuration = ConfigurationOptions.Parse(text);
        bool Has(string name) => text.Contains(name + "=", StringComparison.OrdinalIgnoreCase);
        var connectMs = (int)options.ConnectTimeout.TotalMilliseconds;
        var operationMs = (int)options.OperationTimeout.TotalMilliseconds;
        if (!Has("connectTimeout")) configuration.ConnectTimeout = connectMs;
        if (!Has("syncTimeout")) configuration.SyncTimeout = operationMs;
        if (!Has("asyncTimeout")) configuration.AsyncTimeout = operationMs;
        if (!Has("abortConnect")) configuration.AbortOnConnectFail = false;
        if (!Has("connectRetry")) configuration.ConnectRetry = 1;
        if (!Has("name")) configuration.ClientName = "guardedai-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        // Do not queue commands while disconnected: a call learns at once that Redis is down.
        configuration.BacklogPolicy = BacklogPolicy.FailFast;
        return configuration;
    }
}

/// <summary>A Redis call failed (unreachable, timed out, or refused). The message never contains the password.</summary>
public class RedisStoreException : Exception
{
    /// <summary>Creates the exception.</summary>
    public RedisStoreException(string message, Exception? inner = null) : base(message, inner) { }
}

/// <summary>Redis answered but does not run Lua scripts, which GuardedAI needs for atomic, shared limits.</summary>
public sealed class RedisScriptingUnavailableException : RedisStoreException
{
    /// <summary>Creates the exception.</summary>
    public RedisScriptingUnavailableException(string message, Exception? inner = null) : base(message, inner) { }
}
