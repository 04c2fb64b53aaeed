(function(){
"use strict";
var tbody=document.querySelector("#rows tbody");
var rows=Array.prototype.slice.call(tbody.rows);
var filters=Array.prototype.slice.call(document.querySelectorAll(".filter"));
var search=document.getElementById("search");
var shown=document.getElementById("shown");
var noun=shown.dataset.noun;
var texts=null;
function apply(){
  var wanted=filters.map(function(f){return [f.dataset.filter,f.value.trim().toLowerCase(),f.tagName==="SELECT"];});
  var needle=search.value.trim().toLowerCase();
  if(needle&&!texts){texts=rows.map(function(r){return r.textContent.toLowerCase();});}
  var count=0;
  for(var i=0;i<rows.length;i++){
    var row=rows[i],ok=true;
    for(var j=0;j<wanted.length&&ok;j++){
      var w=wanted[j];if(!w[1])continue;
      var have=(row.dataset[w[0]]||"").toLowerCase();
      ok=w[2]?have===w[1]:have.indexOf(w[1])!==-1;
    }
    if(ok&&needle)ok=texts[i].indexOf(needle)!==-1;
    if(row.hidden===ok)row.hidden=!ok;
    if(ok)count++;
  }
  shown.textContent=count+" of "+rows.length+" "+noun+" shown";
}
var timer=0;
function later(){clearTimeout(timer);timer=setTimeout(apply,120);}
filters.forEach(function(f){f.addEventListener(f.tagName==="SELECT"?"change":"input",f.tagName==="SELECT"?apply:later);});
search.addEventListener("input",later);
document.getElementById("reset").addEventListener("click",function(){
  search.value="";filters.forEach(function(f){f.value="";});apply();
});
function key(row,column){
  var cell=row.cells[column];
  return cell.hasAttribute("data-sort")?cell.getAttribute("data-sort"):cell.textContent;
}
var collator=new Intl.Collator(undefined,{numeric:true,sensitivity:"base"});
Array.prototype.forEach.call(document.querySelectorAll("button.sort"),function(button){
  button.addEventListener("click",function(){
    var th=button.parentNode,column=+button.dataset.column;
    var ascending=th.getAttribute("aria-sort")!=="ascending";
    Array.prototype.forEach.call(document.querySelectorAll("#rows th"),function(other){if(other.hasAttribute("aria-sort"))other.setAttribute("aria-sort","none");});
    th.setAttribute("aria-sort",ascending?"ascending":"descending");
    var keyed=rows.map(function(row,index){return [key(row,column),index,row];});
    keyed.sort(function(a,b){var c=collator.compare(a[0],b[0]);return (ascending?c:-c)||a[1]-b[1];});
    var fragment=document.createDocumentFragment();
    rows=keyed.map(function(k){fragment.appendChild(k[2]);return k[2];});
    texts=null;
    tbody.appendChild(fragment);
  });
});
document.documentElement.setAttribute("data-ready",String(Math.round(performance.now())));
})();
