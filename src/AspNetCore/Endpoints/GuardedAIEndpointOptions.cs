namespace GuardedAI.AspNetCore;

/// <summary>How <c>app.MapGuardedAI(...)</c> serves the GuardedAI endpoints and dashboard.</summary>
public sealed class GuardedAIEndpointOptions
{
    /// <summary>
    /// The authorization policy every endpoint (dashboard, JSON, events, breaker actions) requires. When null (the
    /// default), only callers on this machine are answered — a request from another address, or naming a host other than
    /// <c>localhost</c> or a loopback address, gets 403 — and no authentication is needed. Behind a reverse proxy on the
    /// same machine, every caller looks local: set a policy, or forward the client's address (<c>UseForwardedHeaders</c>).
    /// </summary>
    public string? AuthorizationPolicy { get; set; }

    /// <summary>A further policy the breaker actions (POST) require, besides <see cref="AuthorizationPolicy"/> (default none).</summary>
    public string? BreakerActionsPolicy { get; set; }

    /// <summary>Whether <c>/health</c> is answered under the same rules as the other endpoints. Default false: a load
    /// balancer can probe it from anywhere; it tells only Healthy, Degraded or Unhealthy and why.</summary>
    public bool HealthRequiresAuthorization { get; set; }

    /// <summary>The calendar of the dashboard's days, months and hours (default UTC).</summary>
    public TimeZoneInfo TimeZone { get; set; } = TimeZoneInfo.Utc;

    /// <summary>How often the event stream sends an update when nothing changed, so window roll-overs show (default 15 s).</summary>
    public TimeSpan Heartbeat { get; set; } = TimeSpan.FromSeconds(15);
}
