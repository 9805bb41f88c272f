using Polly;
using Polly.Retry;

namespace IncusBackup.Incus;

/// <summary>
/// How often and how patiently the transport repeats a request that is safe to repeat (GET and HEAD: the JSON reads,
/// the operation waits, and downloads until their headers arrive) after a fault <see cref="TransientFaults"/> calls
/// transient. Exponential backoff with jitter from <see cref="FirstDelay"/>, and no time limit of its own: the
/// caller's token cancels the waits. POST, PUT, PATCH and DELETE are never repeated: the server may have acted on
/// the first one. Each retry is one line on the trace (-Debug): the request, the attempt, the delay and the reason.
/// </summary>
internal sealed record RetryPolicy
{
    /// <summary>3 retries, about 200, 400 and 800 ms apart.</summary>
    public static RetryPolicy Default { get; } = new();

    /// <summary>Retries after the first attempt; 0 sends every request once.</summary>
    public int MaxRetries { get; init; } = 3;

    /// <summary>The median wait before the first retry; each next one waits about twice as long.</summary>
    public TimeSpan FirstDelay { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>No wait is longer than this.</summary>
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Whether the waits are spread at random, so parallel workers that failed together do not retry in step.</summary>
    public bool UseJitter { get; init; } = true;

    /// <summary>Whether a request with this method may be sent again: it reads, so a second one changes nothing.</summary>
    public static bool MayRepeat(HttpMethod method) => method == HttpMethod.Get || method == HttpMethod.Head;

    /// <summary>
    /// The pipeline for attempts that end in a <typeparamref name="T"/>: it repeats an attempt whose answer has a
    /// transient HTTP status (<paramref name="statusOf"/>) or that threw what <paramref name="isTransient"/> accepts,
    /// and reports each retry to <paramref name="trace"/> with the answer's reason (<paramref name="reasonOf"/>).
    /// Built once per transport; run it with <see cref="ExecuteAsync{T}"/>.
    /// </summary>
    public ResiliencePipeline<T> Build<T>(Func<T, int> statusOf, Func<T, string> reasonOf, Func<Exception, bool> isTransient, Action<string>? trace)
    {
        if (MaxRetries <= 0) return ResiliencePipeline<T>.Empty;
        return new ResiliencePipelineBuilder<T>()
            .AddRetry(new RetryStrategyOptions<T>
            {
                MaxRetryAttempts = MaxRetries,
                BackoffType = DelayBackoffType.Exponential,
                Delay = FirstDelay,
                MaxDelay = MaxDelay,
                UseJitter = UseJitter,
                ShouldHandle = args => ValueTask.FromResult(
                    !args.Context.CancellationToken.IsCancellationRequested &&
                    (args.Outcome.Exception is { } e ? isTransient(e) : TransientFaults.IsTransientStatus(statusOf(args.Outcome.Result!)))),
                OnRetry = args =>
                {
                    var reason = args.Outcome.Exception is { } e ? TransientFaults.Describe(e) : reasonOf(args.Outcome.Result!);
                    trace?.Invoke($"{args.Context.OperationKey}: retry {args.AttemptNumber + 1} of {MaxRetries} in {args.RetryDelay.TotalMilliseconds:F0} ms after {reason}");
                    return ValueTask.CompletedTask;
                },
            })
            .Build();
    }

    /// <summary>
    /// Runs <paramref name="attempt"/> through <paramref name="pipeline"/>: the last answer is returned (a 5xx too,
    /// once the retries are spent, for the caller to report) and the last exception thrown.
    /// </summary>
    /// <param name="request">"GET /1.0/instances", for the trace.</param>
    public static async Task<T> ExecuteAsync<T>(ResiliencePipeline<T> pipeline, string request, Func<CancellationToken, Task<T>> attempt, CancellationToken ct)
    {
        var context = ResilienceContextPool.Shared.Get(request, ct);
        try
        {
            return await pipeline.ExecuteAsync(
                static async (context, attempt) => await attempt(context.CancellationToken).ConfigureAwait(false), context, attempt).ConfigureAwait(false);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }
}
