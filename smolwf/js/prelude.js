// The workflow sandbox's JavaScript side. Evaluated once per context, before the
// user's module, as an expression whose value (the dispatcher) only Python holds.
//
// JS never calls Python: host globals queue requests in an outbox and return
// promises; after every JS slice Python drains the outbox ("poll") and later
// settles the promises ("settle"). Everything the user can reach is frozen.
//
// The user may patch any standard prototype before and while this code runs, so
// nothing here relies on a lookup the user can intercept: built-ins are captured
// up front, outbox entries are JSON text assembled from literals (no toJSON, no
// prototype setters), and promises are adopted with await, not with then().
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
  const isConcatSpreadable = Symbol.isConcatSpreadable;
  const parse = JSON.parse;
  const isArray = Array.isArray;
  const arrayMap = Array.prototype.map;
  const arrayJoin = Array.prototype.join;
  const stringStartsWith = String.prototype.startsWith;
  const stringSlice = String.prototype.slice;
  const PromiseCtor = Promise;
  const promiseAll = Promise.all;
  const WeakMapCtor = WeakMap;
  const weakMapGet = WeakMap.prototype.get;
  const weakMapSet = WeakMap.prototype.set;
  const ErrorCtor = Error;
  const TypeErrorCtor = TypeError;
  const RangeErrorCtor = RangeError;
  const RealDate = Date;
  const StringCtor = String;
  const mathCeil = Math.ceil;
  const mathTrunc = Math.trunc;
  const numberIsFinite = Number.isFinite;
  const numberIsSafeInteger = Number.isSafeInteger;

  const state = {
    outbox: "",
    // Pending entries by request id. A table without a prototype: no setter or getter
    // the user installs is on its path, and it is far cheaper than a Map through apply.
    pending: { __proto__: null },
    pendingCount: 0,
    nextId: 1,
    phase: null,
    budget: { total: null, spent: 0 },
    sleepMaxMs: 0,
    maxArrayLength: 0,
    namespace: undefined,
    namespaceArmed: false,
    status: "running",
    result: "null",
    error: null,
    evalPromise: null,
    // The errors the host rejected a request with, and the kind of that request: a
    // script that lets one escape fails with what failed, not with where it escaped.
    hostErrors: new WeakMapCtor(),
    // The promise the last host request returned, and its pending entry: a parallel()
    // or pipeline() slot whose task returned it waits on the entry (see runSlots).
    lastPromise: null,
    lastEntry: null,
  };

  const map = (list, fn) => apply(arrayMap, list, [fn]);
  const all = (promises) => apply(promiseAll, PromiseCtor, [promises]);

  // Property writes that ignore setters the user may have put on Object.prototype or
  // Array.prototype: the descriptor has no prototype, the property is defined, not set.
  function define(target, key, value) {
    defineProperty(target, key, { __proto__: null, value: value, writable: true, enumerable: true, configurable: true });
  }

  // Concatenates strings into one flat string (the binding cannot read QuickJS ropes).
  function cat(...parts) {
    return apply(arrayJoin, parts, [""]);
  }

  // Queues one request for the host, as JSON text built only from trusted pieces. The
  // outbox is one comma-separated string, a rope QuickJS extends in place; it reaches
  // Python through one join, which flattens it.
  function push(text) {
    const out = state.outbox;
    state.outbox = out === "" ? text : out + "," + text;
  }

  // Runs onOk/onErr once `value` settles. `await` adopts a native promise without
  // calling a patched Promise.prototype.then or a user-installed Symbol.species.
  async function adopt(value, onOk, onErr) {
    let result;
    try {
      result = await value;
    } catch (error) {
      onErr(error);
      return;
    }
    onOk(result);
  }

  function describe(value) {
    if (value === null) return "null";
    if (isArray(value)) return "an array";
    return typeof value === "object" ? "an object" : "a " + typeof value;
  }

  // §1.16 of the reference: message + stack, a thrown string verbatim, else JSON.
  // Never throws: a thrown value's getters may throw, or it may be a revoked Proxy.
  function errorDetail(error) {
    try {
      return describeThrown(error);
    } catch (_) {
      return "a thrown value that cannot be described";
    }
  }

  function describeThrown(error) {
    if (error !== null && typeof error === "object") {
      const message = error.message;
      const stack = error.stack;
      const hasMessage = typeof message === "string";
      const hasStack = typeof stack === "string" && stack !== "";
      const name = typeof error.name === "string" && error.name !== "Error" ? error.name + ": " : "";
      if (hasMessage && hasStack) {
        // Engines that put the message at the head of the stack need no repetition;
        // QuickJS stacks are frame lines only, which may merely mention the message.
        const headed = apply(stringStartsWith, stack, [message]) || apply(stringStartsWith, stack, [name + message]);
        return headed ? stack : name + message + "\n" + stack;
      }
      if (hasMessage) return name + message;
      if (hasStack) return stack;
    }
    if (typeof error === "string") return error;
    try {
      const text = stringify(error);
      return text === undefined ? StringCtor(error) : text;
    } catch (_) {
      return StringCtor(error);
    }
  }

  function errorMessage(error) {
    try {
      if (error !== null && typeof error === "object" && typeof error.message === "string") {
        return error.message;
      }
    } catch (_) {
      // fall through to the detail, which cannot throw
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

  // Queues a request that the host answers by settling the returned promise.
  // `fields` is JSON text of the request's own members, starting with a comma.
  // `kind` is one of the literals below.
  function request(kind, fields) {
    const id = state.nextId++;
    const entry = { __proto__: null, resolve: null, reject: null, kind: kind, slot: null };
    const promise = new PromiseCtor((resolve, reject) => {
      entry.resolve = resolve;
      entry.reject = reject;
    });
    state.pending[id] = entry;
    state.lastPromise = promise;
    state.lastEntry = entry;
    state.pendingCount++;
    push('{"kind":"' + kind + '","id":' + id + fields + "}");
    return promise;
  }

  function warn(source, index, error) {
    const position = typeof index === "number" && numberIsSafeInteger(index) ? index : 0;
    push('{"kind":"warning","source":' + stringify(source) + ',"index":' + position +
      ',"message":' + stringify(errorDetail(error)) + "}");
  }

  // ---- the workflow API -----------------------------------------------------

  // agent() resolves to the output; agentRun() (workflow:extra) to the call's whole record.
  function agent(prompt, options) {
    return agentRequest(prompt, options, "");
  }

  function agentRun(prompt, options) {
    return agentRequest(prompt, options, ',"detailed":true');
  }

  function agentRequest(prompt, options, detailed) {
    if (typeof prompt !== "string") {
      throw new TypeErrorCtor("agent(prompt, options?) needs a string prompt, got " + describe(prompt));
    }
    let text = "{}";
    let hasPhase = false;
    if (options !== undefined && options !== null) {
      if (typeof options !== "object" || isArray(options)) {
        throw new TypeErrorCtor("agent() options must be an object, got " + describe(options));
      }
      text = toJsonText(options, "agent() options");
      const opts = parse(text);
      if (opts === null || typeof opts !== "object" || isArray(opts)) {
        throw new TypeErrorCtor("agent() options must convert to a JSON object, got " + describe(opts));
      }
      hasPhase = apply(hasOwn, opts, ["phase"]);
    }
    if (state.phase !== null && !hasPhase) {
      const entry = cat('"phase":', stringify(state.phase), "}");
      text = text === "{}" ? cat("{", entry) : cat(apply(stringSlice, text, [0, -1]), ",", entry);
    }
    return request("agent", ',"prompt":' + stringify(prompt) + ',"options":' + text + detailed);
  }

  function workflow(ref, args) {
    const scriptPath = ref !== null && typeof ref === "object" ? ref.scriptPath : undefined;
    if (typeof ref !== "string" && typeof scriptPath !== "string") {
      throw new TypeErrorCtor(
        "workflow(nameOrRef, args?) needs a workflow name or {scriptPath}, got " + describe(ref),
      );
    }
    const argsText = args === undefined ? "null" : toJsonText(args, "workflow() args");
    const refText = typeof ref === "string" ? stringify(ref) : cat('{"scriptPath":', stringify(scriptPath), "}");
    const given = args === undefined ? ',"argsGiven":false' : "";
    return request("workflow", cat(',"ref":', refText, ',"args":', argsText, given));
  }

  function phase(name, options) {
    if (typeof name !== "string") {
      throw new TypeErrorCtor("phase(name, options?) needs a string name, got " + describe(name));
    }
    const optionsText = options === undefined ? "" : cat(',"options":', toJsonText(options, "phase() options"));
    state.phase = name;
    push('{"kind":"phase","name":' + stringify(name) + optionsText + "}");
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
    push('{"kind":"log","message":' + stringify(logText(values)) + "}");
  }

  // Runs every slot at once; a failed slot becomes null (and a warning) or, settled,
  // {ok:false, error}. Each slot's first step runs synchronously, in order. The slots of
  // an array share one result promise (no promise per slot, no Promise.all): a fan-out
  // of thousands of agents is mostly this code.
  function runSlots(list, source, settled, runOne) {
    const ok = (value) => (settled ? { ok: true, value: value } : value);
    const failed = (index, error) => {
      if (settled) return { ok: false, error: errorMessage(error) };
      warn(source, index, error);
      return null;
    };
    if (!isArray(list)) {
      const slot = (item, index) =>
        (async () => {
          try {
            return ok(await runOne(item, index));
          } catch (error) {
            return failed(index, error);
          }
        })();
      return all(list.map(slot));
    }
    const count = list.length;
    const results = [];
    let left = count;
    let finish;
    const done = new PromiseCtor((resolve) => {
      finish = resolve;
    });
    const store = (index, value) => {
      define(results, index, value);
      if (--left === 0) finish(results);
    };
    const settle = async (value, index) => {
      let result;
      try {
        result = await value; // adopts a native promise without calling a patched then()
      } catch (error) {
        store(index, failed(index, error));
        return;
      }
      store(index, ok(result));
    };
    // A slot whose task returned the promise of the request it made last (the usual
    // `() => agent(...)`) is stored when the host settles that request: no async
    // function, promise or job of its own. Any other value is awaited.
    const claim = (value, index) => {
      const entry = state.lastEntry;
      const made = state.lastPromise;
      state.lastPromise = state.lastEntry = null;
      if (entry === null || value !== made) return false;
      entry.slot = (isOk, result) => store(index, isOk ? ok(result) : failed(index, result));
      return true;
    };
    for (let index = 0; index < count; index++) {
      if (!(index in list)) {
        store(index, undefined); // a hole: map would skip it, Promise.all reads undefined
        continue;
      }
      let value;
      try {
        value = runOne(list[index], index);
      } catch (error) {
        store(index, failed(index, error));
        continue;
      }
      if (!claim(value, index)) settle(value, index);
    }
    if (count === 0) finish(results);
    return done;
  }

  function parallelSlots(tasks, settled) {
    if (tasks === null || tasks === undefined || typeof tasks.map !== "function") {
      throw new TypeErrorCtor("parallel(tasks) needs an array of functions, got " + describe(tasks));
    }
    return runSlots(tasks, "parallel", settled, (task) => task());
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
    if (stages.length === 1) {
      const stage = stages[0];
      return runSlots(items, "pipeline", settled, (item, index) => stage(item, item, index));
    }
    return runSlots(items, "pipeline", settled, async (item, index) => {
      let previous = item;
      for (let i = 0; i < stages.length; i++) previous = await stages[i](previous, item, index);
      return previous;
    });
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
    return request("sleep", cat(',"ms":', stringify(duration)));
  }

  function exec(profile, req) {
    if (typeof profile !== "string") {
      throw new TypeErrorCtor("exec(profile, request) needs a string profile like 'local-worktree/default'");
    }
    if (req === null || typeof req !== "object" || typeof req.command !== "string") {
      throw new TypeErrorCtor("exec(profile, request) needs a request object with a string command");
    }
    const text = toJsonText(req, "exec() request");
    const parsed = parse(text);
    if (parsed === null || typeof parsed !== "object" || isArray(parsed)) {
      throw new TypeErrorCtor("exec() request must convert to a JSON object, got " + describe(parsed));
    }
    return request("exec", cat(',"profile":', stringify(profile), ',"request":', text));
  }

  // ---- workflow:human ---------------------------------------------------------

  const APPROVAL_OPTIONS = ["label", "timeout", "onTimeout"];
  const SIGNAL_OPTIONS = ["schema", "timeout"];

  // An own property of a parsed options object (a getter on Object.prototype never runs).
  function own(object, key) {
    return apply(hasOwn, object, [key]) ? object[key] : undefined;
  }

  // The options of a request to a person, as plain JSON with only the known keys.
  function humanOptions(what, options, known) {
    if (options === undefined || options === null) return {};
    if (typeof options !== "object" || isArray(options)) {
      throw new TypeErrorCtor(what + " options must be an object, got " + describe(options));
    }
    const opts = parse(toJsonText(options, what + " options"));
    const names = getOwnPropertyNames(opts);
    for (let i = 0; i < names.length; i++) {
      let found = false;
      for (let j = 0; j < known.length; j++) found = found || names[i] === known[j];
      if (!found) {
        throw new TypeErrorCtor(
          what + " has no option '" + names[i] + "'; its options are " + apply(arrayJoin, known, [", "]),
        );
      }
    }
    return opts;
  }

  // The timeout as given: JSON would turn Infinity and NaN into null (no timeout).
  function rawTimeout(options) {
    return options === undefined || options === null ? undefined : options.timeout;
  }

  // A request's timeout in whole milliseconds as JSON text ("null": wait for ever).
  function timeoutText(what, value) {
    if (value === undefined || value === null) return "null";
    if (typeof value !== "number" || !numberIsFinite(value) || value < 0) {
      throw new TypeErrorCtor(what + " timeout must be a finite non-negative number of milliseconds");
    }
    const ms = mathCeil(value);
    if (ms > state.sleepMaxMs) throw new RangeErrorCtor(what + " timeout exceeds the maximum allowed delay");
    return "" + ms;
  }

  function requestApproval(message, options) {
    if (typeof message !== "string") {
      throw new TypeErrorCtor("requestApproval(message, options?) needs a string message, got " + describe(message));
    }
    const opts = humanOptions("requestApproval()", options, APPROVAL_OPTIONS);
    const label = own(opts, "label");
    if (label !== undefined && label !== null && typeof label !== "string") {
      throw new TypeErrorCtor("requestApproval() label must be a string, got " + describe(label));
    }
    const onTimeout = own(opts, "onTimeout");
    if (onTimeout !== undefined && onTimeout !== null && onTimeout !== "approve" && onTimeout !== "deny") {
      throw new TypeErrorCtor("requestApproval() onTimeout must be 'approve' or 'deny', got " + toJsonText(onTimeout, "onTimeout"));
    }
    return request("approval", cat(
      ',"message":', stringify(message),
      ',"label":', typeof label === "string" ? stringify(label) : "null",
      ',"timeoutMs":', timeoutText("requestApproval()", rawTimeout(options)),
      ',"onTimeout":', onTimeout === "approve" ? '"approve"' : '"deny"',
    ));
  }

  function waitForSignal(name, options) {
    if (typeof name !== "string" || name === "") {
      throw new TypeErrorCtor("waitForSignal(name, options?) needs a non-empty string name, got " + describe(name));
    }
    const opts = humanOptions("waitForSignal()", options, SIGNAL_OPTIONS);
    const schema = own(opts, "schema");
    let schemaText = "null";
    if (schema !== undefined && schema !== null) {
      if (typeof schema !== "object" || isArray(schema)) {
        throw new TypeErrorCtor("waitForSignal() schema must be a JSON Schema object, got " + describe(schema));
      }
      schemaText = toJsonText(schema, "waitForSignal() schema");
    }
    return request("signal", cat(
      ',"name":', stringify(name),
      ',"schema":', schemaText,
      ',"timeoutMs":', timeoutText("waitForSignal()", rawTimeout(options)),
    ));
  }

  // Every function a module may export; the host says which module exports which.
  const exportable = { sleep, parallelSettled, pipelineSettled, agentRun, exec, requestApproval, waitForSignal };

  // SW.<module> for each importable module, from the host's table (MODULE_EXPORTS).
  function modules(table) {
    const built = {};
    const names = getOwnPropertyNames(table);
    for (let i = 0; i < names.length; i++) {
      const exports = table[names[i]];
      const module = {};
      for (let j = 0; j < exports.length; j++) {
        const fn = own(exportable, exports[j]);
        if (typeof fn !== "function") throw new TypeErrorCtor("no host function for export " + exports[j]);
        define(module, exports[j], freeze(fn));
      }
      define(built, names[i], freeze(module));
    }
    return freeze(built);
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

  // Some QuickJS natives loop over an array-like's length without ever checking the
  // slice time limit, so `[].join.call({length: 2**53 - 1})` would never return. They
  // are wrapped: a length no array could have within --js-memory is refused, and
  // before the native loop runs, a plain loop gives QuickJS the chance to check the
  // limit in proportion to the work (QuickJS checks it every 10000 jumps and calls).
  function checkLength(value, name) {
    if (value === null || value === undefined) return 0;
    const length = +ObjectCtor(value).length;
    if (length > state.maxArrayLength) {
      throw new RangeErrorCtor(
        name + "() refuses to go over " + length + " elements: a workflow may use at most " +
          state.maxArrayLength + ", what fits in --js-memory",
      );
    }
    for (let i = length > 0 ? mathTrunc(length / 16) : 0; i > 0; i--);
    return length;
  }

  function guardNative(holder, name, label, check) {
    const original = holder[name];
    if (typeof original !== "function") return;
    const guarded = {
      [name]() {
        check(this, arguments, label);
        return apply(original, this, arguments);
      },
    }[name];
    defineProperty(guarded, "length", { __proto__: null, value: original.length });
    defineProperty(holder, name, { __proto__: null, value: guarded, writable: true, enumerable: false, configurable: true });
  }

  const checkThis = (self, _args, label) => checkLength(self, label);

  function checkConcat(self, args, label) {
    let total = checkLength(self, label);
    for (let i = 0; i < args.length; i++) {
      const item = args[i];
      if (item !== null && typeof item === "object" && (isArray(item) || item[isConcatSpreadable])) {
        total += checkLength(item, label);
        if (total > state.maxArrayLength) checkLength({ length: total }, label);
      }
    }
  }

  const checkRaw = (_self, args, label) => {
    const template = args[0];
    if (template !== null && template !== undefined) checkLength(ObjectCtor(template).raw, label);
  };

  const checkDrop = (_self, args, label) => {
    if (+args[0] > state.maxArrayLength) checkLength({ length: +args[0] }, label);
  };

  // flat and flatMap in JS: their native loops cannot be interrupted, and nesting
  // multiplies the work beyond what a length check can bound.
  function flattenInto(target, source, depth, mapper, thisArg) {
    const length = checkLength(source, "Array.prototype.flat");
    for (let i = 0; i < length; i++) {
      if (!(i in source)) continue;
      let element = source[i];
      if (mapper !== undefined) element = apply(mapper, thisArg, [element, i, source]);
      if (depth > 0 && isArray(element)) flattenInto(target, element, depth - 1, undefined, undefined);
      else define(target, target.length, element);
    }
    return target;
  }

  function flat() {
    if (this === null || this === undefined) throw new TypeErrorCtor("Array.prototype.flat called on null or undefined");
    const depthArg = arguments[0];
    let depth = depthArg === undefined ? 1 : mathTrunc(+depthArg);
    depth = depth !== depth || depth < 0 ? 0 : depth;
    return flattenInto([], ObjectCtor(this), depth, undefined, undefined);
  }

  function flatMap(mapper) {
    if (this === null || this === undefined) throw new TypeErrorCtor("Array.prototype.flatMap called on null or undefined");
    if (typeof mapper !== "function") throw new TypeErrorCtor("flatMap mapper is not a function");
    return flattenInto([], ObjectCtor(this), 1, mapper, arguments[1]);
  }

  function guardNatives() {
    const names = [
      "concat", "copyWithin", "fill", "join", "reverse", "shift", "slice", "sort", "splice",
      "toLocaleString", "unshift",
    ];
    for (let i = 0; i < names.length; i++) {
      const label = "Array.prototype." + names[i];
      guardNative(Array.prototype, names[i], label, names[i] === "concat" ? checkConcat : checkThis);
    }
    defineProperty(Array.prototype, "flat", { __proto__: null, value: flat, writable: true, enumerable: false, configurable: true });
    defineProperty(Array.prototype, "flatMap", { __proto__: null, value: flatMap, writable: true, enumerable: false, configurable: true });
    guardNative(String, "raw", "String.raw", checkRaw);
    if (typeof Iterator === "function") guardNative(Iterator.prototype, "drop", "Iterator.prototype.drop", checkDrop);
  }

  // The host hands the user module's namespace over through this slot. It is an
  // accessor defined before the user's code runs, so the user can neither read nor
  // fake it, whatever they do to globalThis or its prototype chain.
  function installNamespaceSlot() {
    defineProperty(G, "__smolwf_namespace", {
      __proto__: null,
      get: () => undefined,
      set: (value) => {
        if (!state.namespaceArmed) return;
        state.namespaceArmed = false;
        state.namespace = value;
      },
      enumerable: false,
      configurable: false,
    });
  }

  const blocked = [
    "eval", "Function", "AsyncFunction", "fetch", "XMLHttpRequest", "WebSocket", "EventSource",
    "navigator", "location", "Deno", "Bun", "process", "require", "Buffer", "__dirname",
    "__filename", "performance", "setTimeout", "setInterval", "clearTimeout", "clearInterval",
    "setImmediate", "Atomics", "SharedArrayBuffer", "WeakRef", "FinalizationRegistry",
  ];

  function install(config) {
    state.budget.total = config.budgetTotal;
    state.budget.spent = config.budgetSpent;
    state.sleepMaxMs = config.sleepMaxMs;
    state.maxArrayLength = config.maxArrayLength;
    const console = freeze({ log, info: log, warn: log, error: log, debug: log });
    const globals = {
      args: config.argsUndefined ? undefined : deepFreeze(config.args),
      agent, parallel, pipeline, workflow, phase, log,
      budget: freeze(budget),
      SW: modules(config.modules),
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
    lockGlobal("globalThis", G);
    // V8-style CallSite objects would hand the user the functions on the stack,
    // the dispatcher among them.
    defineProperty(ErrorCtor, "prepareStackTrace", { __proto__: null, value: undefined, writable: false, configurable: false });
    lockCodeGeneration();
    guardNatives();
    installNamespaceSlot();
    freeze(SafeDate);
  }

  // ---- running the module and its default export ----------------------------

  // What an escaped host rejection's message is prefixed with: the call that failed, unless
  // the message names it already ("workflow <name> failed: ...", "waitForSignal('x') ...").
  const FAILURE_PREFIXES = { __proto__: null, agent: "agent() failed: ", sleep: "sleep() failed: ", exec: "exec() failed: " };

  function fail(prefix, error) {
    if (state.status === "done" || state.status === "failed") return;
    state.status = "failed";
    const kind = error !== null && typeof error === "object" ? apply(weakMapGet, state.hostErrors, [error]) : undefined;
    if (kind === undefined) {
      state.error = prefix + ": " + errorDetail(error);
    } else {
      const named = FAILURE_PREFIXES[kind];
      state.error = (named === undefined ? "" : named) + errorMessage(error);
    }
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
    adopt(
      evalPromise,
      () => {
        if (state.status === "running") state.status = "evaluated";
      },
      (error) => fail("workflow module evaluation rejected", error),
    );
  }

  function boot(namespace) {
    state.status = "booted";
    if (namespace === null || typeof namespace !== "object") {
      state.status = "failed";
      state.error = "workflow module namespace was not handed over (internal error)";
      return;
    }
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
    adopt(value, finish, (error) => fail("workflow module rejected", error));
  }

  function settle(batch) {
    for (let i = 0; i < batch.length; i++) {
      const item = batch[i];
      const id = item[0];
      const ok = item[1];
      const value = item[2];
      const spent = item[3];
      if (typeof spent === "number") state.budget.spent = spent;
      if (typeof id !== "number") continue;
      const entry = state.pending[id];
      if (entry === undefined) continue;
      delete state.pending[id];
      state.pendingCount--;
      if (ok) {
        entry.resolve(value);
        if (entry.slot !== null) entry.slot(true, value);
      } else {
        const error = new ErrorCtor(value);
        apply(weakMapSet, state.hostErrors, [error, entry.kind]);
        entry.reject(error);
        if (entry.slot !== null) entry.slot(false, error);
      }
    }
  }

  // Strings returned to Python must be flat: the binding cannot read QuickJS ropes,
  // which long concatenations produce, so the reply is assembled with join (cat).
  // No user code runs here: every piece is already JSON text or a primitive.
  function poll() {
    const out = state.outbox;
    state.outbox = "";
    const status = state.status;
    return cat(
      '{"status":', stringify(status),
      ',"pending":', "" + state.pendingCount,
      status === "done" ? cat(',"result":', state.result) : "",
      status === "failed" ? cat(',"error":', stringify(state.error)) : "",
      ',"out":[', out, "]}",
    );
  }

  return function dispatch(op, arg) {
    switch (op) {
      case "install":
        install(parse(arg));
        return null;
      case "watch":
        watch(arg);
        return null;
      case "arm":
        state.namespaceArmed = true;
        return null;
      case "boot": {
        const namespace = state.namespace;
        state.namespace = undefined;
        state.namespaceArmed = false;
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
