// The workflow sandbox's JavaScript side. Evaluated once per context, before the
// user's module, as an expression whose value (the dispatcher) only Python holds.
//
// JS never calls Python: host globals queue requests in an outbox and return
// promises; after every JS slice Python drains the outbox ("poll") and later
// settles the promises ("settle"). Everything the user can reach is frozen.
(function () {
  "use strict";
  const G = globalThis;
  const ObjectCtor = Object;
  const defineProperty = Object.defineProperty;
  const freeze = Object.freeze;
  const isFrozen = Object.isFrozen;
  const getOwnPropertyNames = Object.getOwnPropertyNames;
  const getPrototypeOf = Object.getPrototypeOf;
  const hasOwn = Object.prototype.hasOwnProperty;
  const apply = Reflect.apply;
  const construct = Reflect.construct;
  const stringify = JSON.stringify;
  const parse = JSON.parse;
  const isArray = Array.isArray;
  const arrayMap = Array.prototype.map;
  const arrayPush = Array.prototype.push;
  const arrayJoin = Array.prototype.join;
  const stringIncludes = String.prototype.includes;
  const PromiseCtor = Promise;
  const promiseThen = Promise.prototype.then;
  const promiseAll = Promise.all;
  const MapCtor = Map;
  const mapGet = Map.prototype.get;
  const mapSet = Map.prototype.set;
  const mapDelete = Map.prototype.delete;
  const ErrorCtor = Error;
  const TypeErrorCtor = TypeError;
  const RealDate = Date;
  const mathCeil = Math.ceil;
  const numberIsFinite = Number.isFinite;

  const state = {
    outbox: [],
    pending: new MapCtor(),
    pendingCount: 0,
    nextId: 1,
    phase: null,
    budget: { total: null, spent: 0 },
    sleepMaxMs: 0,
    status: "running",
    result: "null",
    error: null,
    evalPromise: null,
  };

  const push = (value) => apply(arrayPush, state.outbox, [value]);
  const map = (list, fn) => apply(arrayMap, list, [fn]);
  const then = (promise, onOk, onErr) => apply(promiseThen, promise, [onOk, onErr]);
  const all = (promises) => apply(promiseAll, PromiseCtor, [promises]);

  function describe(value) {
    if (value === null) return "null";
    if (isArray(value)) return "an array";
    return typeof value === "object" ? "an object" : "a " + typeof value;
  }

  // §1.16 of the reference: message + stack, a thrown string verbatim, else JSON.
  function errorDetail(error) {
    if (error !== null && typeof error === "object") {
      const message = error.message;
      const stack = error.stack;
      const hasMessage = typeof message === "string";
      const hasStack = typeof stack === "string" && stack !== "";
      const name = typeof error.name === "string" && error.name !== "Error" ? error.name + ": " : "";
      if (hasMessage && hasStack) {
        return apply(stringIncludes, stack, [message]) ? stack : name + message + "\n" + stack;
      }
      if (hasMessage) return name + message;
      if (hasStack) return stack;
    }
    if (typeof error === "string") return error;
    try {
      const text = stringify(error);
      return text === undefined ? String(error) : text;
    } catch (_) {
      return String(error);
    }
  }

  function errorMessage(error) {
    if (error !== null && typeof error === "object" && typeof error.message === "string") {
      return error.message;
    }
    return errorDetail(error);
  }

  // JSON.stringify semantics, as the reference converts values (§1.15).
  function toJsonText(value, what) {
    let text;
    try {
      text = stringify(value);
    } catch (error) {
      throw new TypeErrorCtor(what + " must be JSON-serialisable: " + errorMessage(error));
    }
    return text === undefined ? "null" : text;
  }

  function deepFreeze(value) {
    if (value === null || (typeof value !== "object" && typeof value !== "function")) return value;
    if (isFrozen(value)) return value;
    freeze(value);
    const names = getOwnPropertyNames(value);
    for (let i = 0; i < names.length; i++) {
      const descriptor = ObjectCtor.getOwnPropertyDescriptor(value, names[i]);
      if (descriptor && hasOwn.call(descriptor, "value")) deepFreeze(descriptor.value);
    }
    return value;
  }

  function request(kind, payload) {
    const id = state.nextId++;
    payload.kind = kind;
    payload.id = id;
    let resolveFn;
    let rejectFn;
    const promise = new PromiseCtor((resolve, reject) => {
      resolveFn = resolve;
      rejectFn = reject;
    });
    apply(mapSet, state.pending, [id, { resolve: resolveFn, reject: rejectFn }]);
    state.pendingCount++;
    push(payload);
    return promise;
  }

  function warn(source, index, error) {
    push({ kind: "warning", source: source, index: index, message: errorDetail(error) });
  }

  // ---- the workflow API -----------------------------------------------------

  function agent(prompt, options) {
    if (typeof prompt !== "string") {
      throw new TypeErrorCtor("agent(prompt, options?) needs a string prompt, got " + describe(prompt));
    }
    let opts = {};
    if (options !== undefined && options !== null) {
      if (typeof options !== "object" || isArray(options)) {
        throw new TypeErrorCtor("agent() options must be an object, got " + describe(options));
      }
      opts = parse(toJsonText(options, "agent() options"));
    }
    if (state.phase !== null && !apply(hasOwn, opts, ["phase"])) opts.phase = state.phase;
    return request("agent", { prompt: prompt, options: opts });
  }

  function workflow(ref, args) {
    const byPath = ref !== null && typeof ref === "object" && typeof ref.scriptPath === "string";
    if (typeof ref !== "string" && !byPath) {
      throw new TypeErrorCtor(
        "workflow(nameOrRef, args?) needs a workflow name or {scriptPath}, got " + describe(ref),
      );
    }
    const argsText = args === undefined ? "null" : toJsonText(args, "workflow() args");
    return request("workflow", {
      ref: byPath ? { scriptPath: ref.scriptPath } : ref,
      args: parse(argsText),
    });
  }

  function phase(name, options) {
    if (typeof name !== "string") {
      throw new TypeErrorCtor("phase(name, options?) needs a string name, got " + describe(name));
    }
    const entry = { kind: "phase", name: name };
    if (options !== undefined) entry.options = parse(toJsonText(options, "phase() options"));
    state.phase = name;
    push(entry);
  }

  function logText(values) {
    const parts = map(values, (value) => {
      if (typeof value === "string") return value;
      if (value instanceof ErrorCtor) return errorDetail(value);
      return toJsonText(value, "log() values");
    });
    return apply(arrayJoin, parts, [" "]);
  }

  function log(...values) {
    push({ kind: "log", message: logText(values) });
  }

  function parallelSlots(tasks, settled) {
    if (tasks === null || tasks === undefined || typeof tasks.map !== "function") {
      throw new TypeErrorCtor("parallel(tasks) needs an array of functions, got " + describe(tasks));
    }
    const runs = (isArray(tasks) ? map : (list, fn) => list.map(fn))(tasks, (task, index) =>
      (async () => {
        try {
          const value = await task();
          return settled ? { ok: true, value: value } : value;
        } catch (error) {
          if (settled) return { ok: false, error: errorMessage(error) };
          warn("parallel", index, error);
          return null;
        }
      })(),
    );
    return all(runs);
  }

  function pipelineSlots(items, stages, settled) {
    if (items === null || items === undefined || typeof items.map !== "function") {
      throw new TypeErrorCtor("pipeline(items, ...stages) needs an array of items, got " + describe(items));
    }
    for (let i = 0; i < stages.length; i++) {
      if (typeof stages[i] !== "function") {
        throw new TypeErrorCtor("pipeline stage " + (i + 1) + " must be a function, got " + describe(stages[i]));
      }
    }
    const runs = (isArray(items) ? map : (list, fn) => list.map(fn))(items, (item, index) =>
      (async () => {
        let previous = item;
        try {
          for (let i = 0; i < stages.length; i++) previous = await stages[i](previous, item, index);
          return settled ? { ok: true, value: previous } : previous;
        } catch (error) {
          if (settled) return { ok: false, error: errorMessage(error) };
          warn("pipeline", index, error);
          return null;
        }
      })(),
    );
    return all(runs);
  }

  const parallel = async (tasks) => parallelSlots(tasks, false);
  const pipeline = async (items, ...stages) => pipelineSlots(items, stages, false);
  const parallelSettled = async (tasks) => parallelSlots(tasks, true);
  const pipelineSettled = async (items, ...stages) => pipelineSlots(items, stages, true);

  function sleep(ms) {
    if (typeof ms !== "number" || !numberIsFinite(ms) || ms < 0) {
      throw new TypeErrorCtor("sleep(ms) requires a finite non-negative number");
    }
    const duration = mathCeil(ms);
    if (duration > state.sleepMaxMs) {
      throw new TypeErrorCtor("sleep(ms) duration exceeds the maximum allowed delay");
    }
    return request("sleep", { ms: duration });
  }

  function exec(profile, req) {
    if (typeof profile !== "string") {
      throw new TypeErrorCtor("exec(profile, request) needs a string profile like 'local-worktree/default'");
    }
    if (req === null || typeof req !== "object" || typeof req.command !== "string") {
      throw new TypeErrorCtor("exec(profile, request) needs a request object with a string command");
    }
    return request("exec", { profile: profile, request: parse(toJsonText(req, "exec() request")) });
  }

  const budget = {
    get total() {
      return state.budget.total;
    },
    spent() {
      return state.budget.spent;
    },
    remaining() {
      const total = state.budget.total;
      if (total === null) return Infinity;
      return total > state.budget.spent ? total - state.budget.spent : 0;
    },
  };

  // ---- determinism guard and blocked host access -----------------------------

  function clockError(what) {
    return new ErrorCtor(
      what + " reads the clock, which makes a workflow non-deterministic and breaks resume; " +
        "pass the time in as an argument (--args-now) or use new Date(value)",
    );
  }

  function SafeDate(...values) {
    if (new.target === undefined) throw clockError("Date()");
    if (values.length === 0) throw clockError("new Date() without arguments");
    return construct(RealDate, values, new.target);
  }
  SafeDate.prototype = RealDate.prototype;
  SafeDate.UTC = RealDate.UTC;
  SafeDate.parse = RealDate.parse;
  SafeDate.now = function now() {
    throw clockError("Date.now()");
  };
  defineProperty(RealDate.prototype, "constructor", { value: SafeDate, writable: false, configurable: false });

  function lockGlobal(name, value) {
    defineProperty(G, name, { value: value, writable: false, enumerable: false, configurable: false });
  }

  const randomDisabled = function random() {
    throw new ErrorCtor(
      "Math.random() is disabled in workflows: it makes runs non-deterministic and breaks resume; " +
        "derive variety from the prompt or pass a seed with --args-seed",
    );
  };

  function lockCodeGeneration() {
    // Blocks Function-constructor tricks: (function(){}).constructor('...') and friends.
    const samples = [function () {}, async function () {}, function* () {}, async function* () {}];
    for (let i = 0; i < samples.length; i++) {
      const proto = getPrototypeOf(samples[i]);
      defineProperty(proto, "constructor", { value: undefined, writable: false, configurable: false });
    }
  }

  const blocked = [
    "eval", "Function", "AsyncFunction", "fetch", "XMLHttpRequest", "WebSocket", "EventSource",
    "navigator", "location", "Deno", "Bun", "process", "require", "Buffer", "__dirname",
    "__filename", "performance", "setTimeout", "setInterval", "clearTimeout", "clearInterval",
    "setImmediate", "Atomics", "SharedArrayBuffer", "WeakRef", "FinalizationRegistry",
  ];

  function install(config) {
    state.budget.total = config.budgetTotal;
    state.sleepMaxMs = config.sleepMaxMs;
    const extra = freeze({ sleep, parallelSettled, pipelineSettled });
    const sandbox = freeze({ exec });
    const console = freeze({ log, info: log, warn: log, error: log, debug: log });
    const globals = {
      args: deepFreeze(config.args),
      agent, parallel, pipeline, workflow, phase, log,
      budget: freeze(budget),
      SW: freeze({ extra, sandbox }),
      console,
      Date: SafeDate,
    };
    const names = getOwnPropertyNames(globals);
    for (let i = 0; i < names.length; i++) {
      const value = globals[names[i]];
      if (typeof value === "function") freeze(value);
      lockGlobal(names[i], value);
    }
    defineProperty(Math, "random", { value: randomDisabled, writable: false, configurable: false });
    for (let i = 0; i < blocked.length; i++) lockGlobal(blocked[i], undefined);
    lockCodeGeneration();
    freeze(SafeDate);
  }

  // ---- running the module and its default export ----------------------------

  function fail(prefix, error) {
    if (state.status === "done" || state.status === "failed") return;
    state.status = "failed";
    state.error = prefix + ": " + errorDetail(error);
  }

  function finish(value) {
    if (state.status === "done" || state.status === "failed") return;
    try {
      state.result = toJsonText(value, "the workflow result");
      state.status = "done";
    } catch (error) {
      state.status = "failed";
      state.error = "failed to convert workflow result from QuickJS value: " + errorMessage(error);
    }
  }

  function watch(evalPromise) {
    then(
      evalPromise,
      () => {
        if (state.status === "running") state.status = "evaluated";
      },
      (error) => fail("workflow module evaluation rejected", error),
    );
  }

  function boot(namespace) {
    state.status = "booted";
    if (!("default" in namespace)) {
      state.status = "failed";
      state.error = "workflow module must default export a workflow result or function";
      return;
    }
    let value = namespace.default;
    if (typeof value === "function") {
      const ctx = { args: G.args, agent, parallel, pipeline, workflow, budget: G.budget, log, phase, extra: G.SW.extra };
      try {
        value = apply(value, undefined, [G.args, ctx]);
      } catch (error) {
        fail("workflow module rejected", error);
        return;
      }
    }
    then(PromiseCtor.resolve(value), finish, (error) => fail("workflow module rejected", error));
  }

  function settle(batch) {
    for (let i = 0; i < batch.length; i++) {
      const [id, ok, value, spent] = batch[i];
      if (typeof spent === "number") state.budget.spent = spent;
      const entry = apply(mapGet, state.pending, [id]);
      if (entry === undefined) continue;
      apply(mapDelete, state.pending, [id]);
      state.pendingCount--;
      if (ok) entry.resolve(value);
      else entry.reject(new ErrorCtor(value));
    }
  }

  // Strings returned to Python must be flat: the binding cannot read QuickJS ropes,
  // which long concatenations produce, so the reply is assembled with join.
  function poll() {
    const out = state.outbox;
    state.outbox = [];
    const parts = ['{"status":', stringify(state.status), ',"pending":', "" + state.pendingCount];
    if (state.status === "done") apply(arrayPush, parts, [',"result":', state.result]);
    if (state.status === "failed") apply(arrayPush, parts, [',"error":', stringify(state.error)]);
    apply(arrayPush, parts, [',"out":', stringify(out), "}"]);
    return apply(arrayJoin, parts, [""]);
  }

  return function dispatch(op, arg) {
    switch (op) {
      case "install":
        install(parse(arg));
        return null;
      case "watch":
        watch(arg);
        return null;
      case "boot": {
        const namespace = G.__smolwf_namespace;
        delete G.__smolwf_namespace;
        boot(namespace);
        return null;
      }
      case "settle":
        settle(parse(arg));
        return null;
      case "poll":
        return poll();
      case "status":
        return state.status;
      default:
        throw new TypeErrorCtor("unknown host operation " + op);
    }
  };
})();
