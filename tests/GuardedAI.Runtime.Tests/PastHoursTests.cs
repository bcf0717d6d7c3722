namespace GuardedAI.Tests;

/// <summary>The spend anomaly detector's ring of past hours keeps exactly what a queue trimmed to the setting keeps.</summary>
public class PastHoursTests
{
    [Fact]
    public void The_ring_holds_the_newest_hours_in_order_as_a_trimmed_queue_does_even_when_the_setting_changes()
    {
        var ring = new SpendAnomalyDetector.PastHours();
        var queue = new Queue<decimal>();
        var random = new Random(24);
        for (var hour = 0; hour < 5_000; hour++)
        {
            var keep = hour < 1_000 ? 24 : hour < 2_000 ? random.Next(1, 30) : hour < 3_000 ? 1 : 168;
            var spend = Math.Round((decimal)random.NextDouble() * 10, 6);
            ring.Push(spend, keep);
            queue.Enqueue(spend);
            while (queue.Count > keep) queue.Dequeue();

            Assert.Equal(queue.ToArray(), ring.ToArray());
            Assert.Equal(queue.Count, ring.Count);
            Assert.Equal(queue.Sum(), ring.Sum);
        }
        Assert.Equal(0m, new SpendAnomalyDetector.PastHours().Sum);
    }
}
