using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace GuardedAI.Alerts.Tests;

public class SignedWebhookTests
{
    private const string Secret = "whsec_0123456789abcdef";

    [Fact]
    public async Task The_body_is_signed_with_hmac_sha256_over_timestamp_and_body_and_a_receiver_can_verify_it()
    {
        await using var receiver = new LoopbackReceiver();
        var (services, client) = TestAlerts.Http();
        await using var scope = services;
        var sink = new SignedWebhookAlertSink("ops-hook", client, new Uri(receiver.BaseAddress, "hooks/guardedai"), Secret);
        var alert = TestAlerts.Critical();

        await sink.SendAsync(alert, CancellationToken.None);

        var request = Assert.Single(receiver.Requests);
        var verifier = new ReplayProtectingVerifier(Secret, TimeSpan.FromMinutes(5));
        var now = DateTimeOffset.UtcNow;
        Assert.Equal(VerifyResult.Valid, verifier.Verify(request, now));
        using var json = JsonDocument.Parse(request.Body);
        Assert.Equal("guardedai.alert", json.RootElement.GetProperty("type").GetString());
        Assert.Equal(alert.Id, json.RootElement.GetProperty("id").GetString());
        Assert.Equal(alert.Id, request.Headers[SignedWebhookAlertSink.DeliveryHeader]);
        Assert.Equal(4.6m, json.RootElement.GetProperty("used").GetDecimal());
        Assert.Equal("Critical", json.RootElement.GetProperty("level").GetString());

        // The same delivery again is a replay; a changed body or an old timestamp fails too.
        Assert.Equal(VerifyResult.Replayed, verifier.Verify(request, now));
        Assert.Equal(VerifyResult.BadSignature, new ReplayProtectingVerifier(Secret, TimeSpan.FromMinutes(5)).Verify(request with { Body = request.Body.Replace("4.6", "0.1") }, now));
        Assert.Equal(VerifyResult.BadSignature, new ReplayProtectingVerifier("another-secret-of-16+", TimeSpan.FromMinutes(5)).Verify(request, now));
        Assert.Equal(VerifyResult.Stale, new ReplayProtectingVerifier(Secret, TimeSpan.FromMinutes(5)).Verify(request, now.AddMinutes(6)));
    }

    [Fact]
    public void Sign_matches_an_independent_hmac_computation()
    {
        var expected = "v1=" + Convert.ToHexStringLower(new HMACSHA256(Encoding.UTF8.GetBytes(Secret)).ComputeHash(Encoding.UTF8.GetBytes("1700000000.{\"a\":1}")));
        Assert.Equal(expected, SignedWebhookAlertSink.Sign(Secret, 1700000000, "{\"a\":1}"));
    }

    [Fact]
    public void A_short_secret_is_refused()
    {
        var error = Assert.ThrowsAny<InvalidOperationException>(() => AlertChannels.Create(
            new AlertChannelsOptions { Webhooks = { ["hook"] = new WebhookChannelOptions { Url = "https://hooks.example.com/x", Secret = "short" } } },
            new AlertTargetGuard(), () => new HttpClient()));
        Assert.Contains("GuardedAI:Alerts:Webhooks:hook:Secret", error.Message);
        Assert.DoesNotContain("short", error.Message.Replace("shorter", ""));
    }

    private enum VerifyResult { Valid, BadSignature, Stale, Replayed }

    /// <summary>The receiver docs/alerts.md shows: timestamp within tolerance, constant-time signature check, delivery ids remembered.</summary>
    private sealed class ReplayProtectingVerifier(string secret, TimeSpan tolerance)
    {
        private readonly Dictionary<string, DateTimeOffset> _seen = new();

        public VerifyResult Verify(ReceivedRequest request, DateTimeOffset now)
        {
            if (!long.TryParse(request.Headers[SignedWebhookAlertSink.TimestampHeader], NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)) return VerifyResult.BadSignature;
            var expected = Encoding.ASCII.GetBytes(SignedWebhookAlertSink.Sign(secret, seconds, request.Body));
            var given = Encoding.ASCII.GetBytes(request.Headers[SignedWebhookAlertSink.SignatureHeader]);
            if (!CryptographicOperations.FixedTimeEquals(expected, given)) return VerifyResult.BadSignature;
            if ((now - DateTimeOffset.FromUnixTimeSeconds(seconds)).Duration() > tolerance) return VerifyResult.Stale;
            var delivery = request.Headers[SignedWebhookAlertSink.DeliveryHeader];
            if (!_seen.TryAdd(delivery, now)) return VerifyResult.Replayed;
            return VerifyResult.Valid;
        }
    }
}
